"""FIPS mode's start-up check and its report.

In ``APIM_CRYPTO_PROVIDER=fips`` every service process refuses to start unless both OpenSSLs it
uses run in FIPS mode: cryptography's (keys, signatures, Fernet, HKDF) and the one behind
``hashlib``/``ssl`` (digests, PBKDF2, TLS). The refusal is one line on stderr naming what is off,
and exit code 3 (``EXIT_NOT_FIPS``).

``python -m apim_common.fips verify`` reports what that check looks at, as WSO2's ``fips.sh VERIFY``
reports its provider jars: each OpenSSL's version, whether the FIPS provider is loaded, whether
FIPS mode is on in each, and which password hashing the key manager would use. It exits 0 when the
process could start in FIPS mode, 3 when not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import os
import ssl
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from cryptography.hazmat.backends.openssl import backend as cryptography_backend
from cryptography.hazmat.bindings._rust import openssl as rust_openssl

from apim_common.crypto_policy import CryptoProvider

EXIT_NOT_FIPS = 3

try:  # CPython's private binding of OpenSSL's digests; a build without OpenSSL lacks it
    _hashlib: object | None = importlib.import_module("_hashlib")
except ImportError:
    _hashlib = None


def cryptography_fips_enabled() -> bool:
    """cryptography's own OpenSSL in FIPS mode (``backend._fips_enabled``, as its tests read it)."""
    enabled = getattr(cryptography_backend, "_fips_enabled", None)
    if enabled is None:
        enabled = rust_openssl.is_fips_enabled()
    return bool(enabled)


def hashlib_fips_enabled() -> bool:
    """The OpenSSL behind ``hashlib`` and ``ssl`` in FIPS mode (``_hashlib.get_fips_mode()``)."""
    get_fips_mode = getattr(_hashlib, "get_fips_mode", None)
    return bool(get_fips_mode()) if get_fips_mode is not None else False


def system_fips_provider_loaded() -> bool | None:
    """Whether the system OpenSSL (the one ``ssl`` links) has its FIPS provider loaded; None when
    that cannot be asked (no OpenSSL 3 ``libcrypto`` to find)."""
    name = ctypes.util.find_library("crypto")
    if name is None:
        return None
    try:
        libcrypto = ctypes.CDLL(name)
        available = libcrypto.OSSL_PROVIDER_available
    except (OSError, AttributeError):
        return None
    available.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    available.restype = ctypes.c_int
    return bool(available(None, b"fips"))


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@dataclass(frozen=True)
class FipsReport:
    provider: str
    system_openssl: str
    system_fips_provider: bool | None
    hashlib_fips: bool
    cryptography_version: str
    cryptography_openssl: str
    cryptography_fips: bool
    openssl_conf: str | None
    argon2_installed: bool

    @property
    def cryptography_shares_system_openssl(self) -> bool:
        """A wheel carries its own static OpenSSL, which does not read the system's FIPS config."""
        return self.cryptography_openssl == self.system_openssl

    @property
    def password_hashing(self) -> str:
        return "PBKDF2-HMAC-SHA256" if self.provider == CryptoProvider.FIPS else "argon2id"

    def refusal(self) -> str | None:
        """Why a FIPS-mode process may not start; None when it may."""
        off = []
        if not self.cryptography_fips:
            off.append(f"cryptography ({self.cryptography_openssl})")
        if not self.hashlib_fips:
            off.append(f"hashlib ({self.system_openssl})")
        if not off:
            return None
        return (
            "apim: refusing to start: APIM_CRYPTO_PROVIDER=fips but FIPS mode is off in "
            + " and ".join(off)
            + " (see python -m apim_common.fips verify)"
        )

    def lines(self) -> list[str]:
        def yes(value: bool | None) -> str:
            return "unknown" if value is None else ("yes" if value else "no")

        linkage = (
            "the system's" if self.cryptography_shares_system_openssl else "its own copy, not the system's"
        )
        return [
            f"crypto provider (APIM_CRYPTO_PROVIDER): {self.provider}",
            f"system OpenSSL (ssl, hashlib): {self.system_openssl}",
            f"  FIPS provider loaded: {yes(self.system_fips_provider)}",
            f"  hashlib FIPS mode: {yes(self.hashlib_fips)}",
            f"cryptography {self.cryptography_version}: {self.cryptography_openssl} ({linkage})",
            f"  FIPS mode: {yes(self.cryptography_fips)}",
            f"OPENSSL_CONF: {self.openssl_conf or 'unset'}",
            f"password hashing: {self.password_hashing}"
            + (
                " (argon2-cffi installed, unused)"
                if self.argon2_installed and self.provider == "fips"
                else ""
            ),
            "verdict: "
            + ("FIPS mode can start" if self.refusal() is None else "FIPS mode would refuse to start"),
        ]


def report(provider: CryptoProvider | str | None = None) -> FipsReport:
    chosen = provider or os.environ.get("APIM_CRYPTO_PROVIDER") or CryptoProvider.DEFAULT
    return FipsReport(
        provider=str(CryptoProvider(chosen)),
        system_openssl=ssl.OPENSSL_VERSION,
        system_fips_provider=system_fips_provider_loaded(),
        hashlib_fips=hashlib_fips_enabled(),
        cryptography_version=_package_version("cryptography") or "unknown",
        cryptography_openssl=cryptography_backend.openssl_version_text(),
        cryptography_fips=cryptography_fips_enabled(),
        openssl_conf=os.environ.get("OPENSSL_CONF"),
        argon2_installed=_package_version("argon2-cffi") is not None,
    )


def refuse_unless_fips(provider: CryptoProvider | str) -> None:
    """Called first by every service's entry point: in FIPS mode, exit 3 with one line unless both
    OpenSSLs run in FIPS mode. The default provider returns at once."""
    if CryptoProvider(provider) is not CryptoProvider.FIPS:
        return
    refusal = report(provider).refusal()
    if refusal is not None:
        print(refusal, file=sys.stderr, flush=True)
        raise SystemExit(EXIT_NOT_FIPS)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["verify"]:
        print("usage: python -m apim_common.fips verify", file=sys.stderr)
        return 2
    result = report()
    for line in result.lines():
        print(line)
    return 0 if result.refusal() is None else EXIT_NOT_FIPS


if __name__ == "__main__":
    raise SystemExit(main())
