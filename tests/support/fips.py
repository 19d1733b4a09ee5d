"""FIPS mode's application-level rules in tests, without a FIPS build of OpenSSL.

An app built with ``crypto_provider="fips"`` puts the FIPS policy in force for the process (as a
real one does); only the start-up check of a process entry point looks at OpenSSL, and no test here
goes through one. ``default_policy_after`` puts the default policy back, so later tests see the
platform as it runs by default.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apim_common import crypto_policy


@pytest.fixture(autouse=True)
def default_policy_after() -> Iterator[None]:
    try:
        yield
    finally:
        crypto_policy.activate(crypto_policy.CryptoProvider.DEFAULT)


@pytest.fixture
def fips_policy() -> Iterator[crypto_policy.CryptoPolicy]:
    """The FIPS policy in force for one test of an app built in the default mode: the checks made
    where keys, algorithms and TLS are handled follow the policy in force, as in a FIPS process."""
    try:
        yield crypto_policy.activate(crypto_policy.CryptoProvider.FIPS)
    finally:
        crypto_policy.activate(crypto_policy.CryptoProvider.DEFAULT)
