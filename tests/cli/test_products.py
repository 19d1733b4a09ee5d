"""API products and applications through apimctl against two running platforms: a product listed,
exported from dev and imported into prod once its APIs were promoted, then kept by dump / diff /
apply; what import refuses; and import's --update, --rotate-revision and --skip-subscriptions."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apimctl import yamlio
from tests.cli.conftest import Cli, drift_then_apply
from tests.support.standalone import eventually

pytestmark = pytest.mark.e2e

OPENAPI = """\
openapi: 3.0.1
info: {{title: {title}, version: 1.0.0}}
servers: [{{url: "http://{slug}.example.com"}}]
paths:
  /{slug}:
    get:
      responses: {{'200': {{description: ok}}}}
  /{slug}/today:
    post:
      responses: {{'200': {{description: ok}}}}
"""
DEFAULT_GATEWAY = [{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}]


def _token(cli: Cli, env: str) -> str:
    stored = json.loads((Path(cli.env["APIMCTL_CONFIG_DIR"]) / "credentials.json").read_text())
    return str(stored[env]["accessToken"])


@pytest.fixture
def rest(cli: Cli) -> Iterator[dict[str, httpx.Client]]:
    """Each environment's Publisher and DevPortal APIs, called with apimctl's own token."""
    clients = {
        f"{env} {service}": httpx.Client(
            base_url=f"{url}/api/am/{path}", headers={"Authorization": f"Bearer {_token(cli, env)}"}
        )
        for env, url in cli.urls.items()
        for service, path in (("publisher", "publisher/v4"), ("devportal", "devportal/v3"))
    }
    yield clients
    for client in clients.values():
        client.close()


def _import_api(cli: Cli, tmp_path: Path, title: str, env: str = "dev") -> None:
    slug = title.lower()
    oas = tmp_path / f"{slug}.yaml"
    oas.write_text(OPENAPI.format(title=title, slug=slug))
    assert cli("init", tmp_path / title, "--oas", oas).exit_code == 0
    imported = cli("import", "api", "-f", tmp_path / title, "-e", env)
    assert imported.exit_code == 0, imported.output


def _promote_api(cli: Cli, tmp_path: Path, title: str) -> None:
    exported = cli("export", "api", "-n", title, "-v", "1.0.0", "-e", "dev", "-o", tmp_path / "apis")
    assert exported.exit_code == 0, exported.output
    imported = cli("import", "api", "-f", tmp_path / "apis" / f"{title}_1.0.0.zip", "-e", "prod")
    assert imported.exit_code == 0, imported.output


def _create_product(
    publisher: httpx.Client, name: str, members: list[str], description: str = "Everything at once"
) -> dict[str, Any]:
    """A product of every operation of the named APIs, made with the Publisher API as a portal would."""
    apis = []
    for member in members:
        [found] = [a for a in publisher.get("/apis").json()["list"] if a["name"] == member]
        api = publisher.get(f"/apis/{found['id']}").json()
        operations = [{"verb": o["verb"], "target": o["target"]} for o in api["operations"]]
        apis.append({"apiId": api["id"], "operations": operations})
    body = {"name": name, "context": f"/{name.lower()}", "version": "1.0.0", "description": description}
    created = publisher.post("/api-products", json={**body, "apis": apis})
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return product


def _deploy_and_publish(publisher: httpx.Client, product: dict[str, Any]) -> None:
    url = f"/api-products/{product['id']}"
    revision = publisher.post(f"{url}/revisions", json={"description": "first"})
    assert revision.status_code == 201, revision.text
    deployed = publisher.post(
        f"{url}/deploy-revision", params={"revisionId": revision.json()["id"]}, json=DEFAULT_GATEWAY
    )
    assert deployed.status_code == 201, deployed.text
    published = publisher.post(
        "/api-products/change-lifecycle", params={"apiProductId": product["id"], "action": "Publish"}
    )
    assert published.status_code == 200, published.text


def _product(publisher: httpx.Client, name: str) -> dict[str, Any] | None:
    found = [p for p in publisher.get("/api-products").json()["list"] if p["name"] == name]
    if not found:
        return None
    product: dict[str, Any] = publisher.get(f"/api-products/{found[0]['id']}").json()
    return product


def _members(product: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    return sorted(
        (m["name"], sorted((o["verb"], o["target"]) for o in m["operations"])) for m in product["apis"]
    )


def _deployments(publisher: httpx.Client, product: dict[str, Any]) -> list[tuple[str, str]]:
    listed = publisher.get(f"/api-products/{product['id']}/deployments").json()["list"]
    return [(d["name"], d["status"]) for d in listed]


def test_get_api_products_lists_a_product_as_a_table_json_and_yaml(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    _import_api(cli, tmp_path, "Stock")
    created = _create_product(rest["dev publisher"], "Warehouse", ["Stock"])

    table = cli("get", "api-products", "-e", "dev")
    assert table.exit_code == 0, table.output
    [row] = [line for line in table.output.splitlines() if "Warehouse" in line]
    for cell in (created["id"], "1.0.0", "/warehouse", "CREATED", "admin"):
        assert cell in row

    as_json = cli("get", "api-products", "-e", "dev", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    [listed] = [p for p in json.loads(as_json.output) if p["name"] == "Warehouse"]
    assert listed == {
        "id": created["id"],
        "name": "Warehouse",
        "version": "1.0.0",
        "context": "/warehouse",
        "state": "CREATED",
        "provider": "admin",
    }

    as_yaml = cli("get", "api-products", "-e", "dev", "--format", "YAML")
    assert as_yaml.exit_code == 0, as_yaml.output
    assert [p for p in yamlio.plain(yamlio.loads(as_yaml.output)) if p["name"] == "Warehouse"] == [listed]

    unknown = cli("get", "api-products", "-e", "dev", "--format", "xml")
    assert unknown.exit_code == 3
    assert "--format must be table, json or yaml" in unknown.output


def test_a_product_exported_from_dev_and_imported_into_prod_is_kept_as_its_file_says(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    dev, prod = rest["dev publisher"], rest["prod publisher"]
    for title in ("Menu", "Orders"):
        _import_api(cli, tmp_path, title)
    made = _create_product(dev, "Shop", ["Menu", "Orders"], "Menu and orders")
    _deploy_and_publish(dev, made)
    for title in ("Menu", "Orders"):
        _promote_api(cli, tmp_path, title)

    exported = cli("export", "api-product", "-n", "Shop", "-v", "1.0.0", "-e", "dev", "-o", tmp_path / "out")
    assert exported.exit_code == 0, exported.output
    archive = tmp_path / "out" / "Shop_1.0.0.zip"
    with zipfile.ZipFile(archive) as zipped:
        descriptor = yamlio.plain(yamlio.loads(zipped.read("Shop-1.0.0/api_product.yaml").decode()))
        environments = yamlio.plain(
            yamlio.loads(zipped.read("Shop-1.0.0/deployment_environments.yaml").decode())
        )
    assert sorted((m["name"], m["version"]) for m in descriptor["data"]["apis"]) == [
        ("Menu", "1.0.0"),
        ("Orders", "1.0.0"),
    ]
    assert [e["deploymentEnvironment"] for e in environments["data"]] == ["Default"]

    imported = cli("import", "api-product", "-f", archive, "-e", "prod")
    assert imported.exit_code == 0, imported.output
    promoted = _product(prod, "Shop")
    assert promoted is not None
    assert f"Successfully imported API product Shop 1.0.0: {promoted['id']}" in imported.output
    assert promoted["description"] == "Menu and orders"
    assert _members(promoted) == _members(made)
    prod_ids = {a["name"]: a["id"] for a in prod.get("/apis").json()["list"]}
    assert {m["name"]: m["apiId"] for m in promoted["apis"]} == {n: prod_ids[n] for n in ("Menu", "Orders")}
    assert promoted["state"] == "PUBLISHED"
    assert _deployments(prod, promoted) == [("Default", "APPROVED")]

    dev_state = tmp_path / "dev-state"
    assert cli("dump", "-e", "dev", "-d", dev_state).exit_code == 0
    promoted_files = {"apis/Menu-1.0.0.yaml", "apis/Orders-1.0.0.yaml", "api-products/Shop-1.0.0.yaml"}
    for path in dev_state.rglob("*.yaml"):
        if path.relative_to(dev_state).as_posix() not in promoted_files:
            path.unlink()  # what other tests left in dev
    as_in_dev = cli("diff", "-e", "prod", "-d", dev_state)
    assert as_in_dev.exit_code == 0, as_in_dev.output  # deployed and published, as in dev

    state = tmp_path / "state"
    dumped = cli("dump", "-e", "prod", "-d", state)
    assert dumped.exit_code == 0, dumped.output
    product_file = state / "api-products" / "Shop-1.0.0.yaml"
    dumped_product = yamlio.plain(yamlio.load_file(product_file))
    assert dumped_product["kind"] == "APIProduct"
    assert _members(dumped_product) == _members(made)
    assert dumped_product["deploymentEnvironments"][0]["deploymentEnvironment"] == "Default"
    drift_then_apply(
        cli,
        "prod",
        state,
        product_file,
        ("Menu and orders", "Menu, orders and more"),
        "APIProduct Shop 1.0.0",
    )
    assert (_product(prod, "Shop") or {})["description"] == "Menu, orders and more"
    assert (_product(dev, "Shop") or {})["description"] == "Menu and orders"
    again = cli("diff", "-e", "prod", "-d", state)
    assert again.exit_code == 0, again.output


def test_importing_a_product_whose_api_is_missing_names_the_api_and_fails(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    for title in ("Parcels", "Tracking"):
        _import_api(cli, tmp_path, title)
    _create_product(rest["dev publisher"], "Delivery", ["Parcels", "Tracking"])
    _promote_api(cli, tmp_path, "Parcels")  # Tracking stays in dev
    exported = cli("export", "api-product", "-n", "Delivery", "-v", "1.0.0", "-e", "dev", "-o", tmp_path)
    assert exported.exit_code == 0, exported.output

    refused = cli.subprocess("import", "api-product", "-f", tmp_path / "Delivery_1.0.0.zip", "-e", "prod")
    assert refused.exit_code == 4
    assert "API Not Found" in refused.output
    assert "'Tracking' version '1.0.0'" in refused.output
    assert "Traceback" not in refused.output
    assert _product(rest["prod publisher"], "Delivery") is None


def _revisions(publisher: httpx.Client, product: dict[str, Any]) -> list[str]:
    listed = publisher.get(f"/api-products/{product['id']}/revisions").json()["list"]
    return sorted(r["displayName"] for r in listed)


def test_importing_an_existing_product_needs_update_and_rotate_revision_makes_room(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    _import_api(cli, tmp_path, "Rooms")
    _deploy_and_publish(rest["dev publisher"], _create_product(rest["dev publisher"], "Hotel", ["Rooms"]))
    _promote_api(cli, tmp_path, "Rooms")
    assert (
        cli("export", "api-product", "-n", "Hotel", "-v", "1.0.0", "-e", "dev", "-o", tmp_path).exit_code == 0
    )
    with zipfile.ZipFile(tmp_path / "Hotel_1.0.0.zip") as zipped:
        zipped.extractall(tmp_path / "project")
    folder = tmp_path / "project" / "Hotel-1.0.0"
    assert cli("import", "api-product", "-f", folder, "-e", "prod").exit_code == 0

    again = cli("import", "api-product", "-f", folder, "-e", "prod")
    assert again.exit_code == 4
    assert "409" in again.output
    assert "use --update" in again.output

    descriptor = folder / "api_product.yaml"
    descriptor.write_text(descriptor.read_text().replace("Everything at once", "Rooms by the night"))
    for _ in range(4):
        updated = cli("import", "api-product", "-f", folder, "-e", "prod", "--update")
        assert updated.exit_code == 0, updated.output
    hotel = _product(rest["prod publisher"], "Hotel")
    assert hotel is not None
    assert hotel["description"] == "Rooms by the night"
    assert _revisions(rest["prod publisher"], hotel) == [f"Revision {n}" for n in range(1, 6)]

    full = cli("import", "api-product", "-f", folder, "-e", "prod", "--update")
    assert full.exit_code == 4
    assert "900351" in full.output
    rotated = cli("import", "api-product", "-f", folder, "-e", "prod", "--update", "--rotate-revision")
    assert rotated.exit_code == 0, rotated.output
    assert _revisions(rest["prod publisher"], hotel) == [f"Revision {n}" for n in range(2, 7)]
    assert _deployments(rest["prod publisher"], hotel) == [("Default", "APPROVED")]


def test_exporting_what_does_not_exist_names_it_and_exits_4(cli: Cli, tmp_path: Path) -> None:
    product = cli("export", "api-product", "-n", "Nowhere", "-v", "1.0.0", "-e", "dev", "-o", tmp_path)
    assert product.exit_code == 4
    assert "API Product Not Found" in product.output
    assert "Nowhere" in product.output
    application = cli("export", "app", "-n", "Nobody", "-e", "dev", "-o", tmp_path)
    assert application.exit_code == 4
    assert "No application named 'Nobody'" in application.output
    assert list(tmp_path.iterdir()) == []
    missing = cli("import", "api-product", "-f", tmp_path / "absent.zip", "-e", "prod")
    assert missing.exit_code == 3
    assert "absent.zip does not exist" in missing.output


def _application(devportal: httpx.Client, name: str) -> dict[str, Any] | None:
    found = [a for a in devportal.get("/applications").json()["list"] if a["name"] == name]
    return found[0] if found else None


def _subscribed(devportal: httpx.Client, application: dict[str, Any]) -> list[tuple[str, str]]:
    listed = devportal.get("/subscriptions", params={"applicationId": application["applicationId"]})
    return sorted((s["apiInfo"]["name"], s["apiInfo"]["type"]) for s in listed.json()["list"])


def _subscribe(devportal: httpx.Client, application: dict[str, Any], api_id: str) -> None:
    """Subscribe once the published API or product has reached the portal's catalog (by event)."""
    listed = eventually(lambda: devportal.get(f"/apis/{api_id}"), lambda r: r.status_code == 200)
    assert listed.status_code == 200, listed.text
    subscribed = devportal.post(
        "/subscriptions",
        json={
            "applicationId": application["applicationId"],
            "apiId": api_id,
            "throttlingPolicy": "Unlimited",
        },
    )
    assert subscribed.status_code == 201, subscribed.text


def _new_application(devportal: httpx.Client, name: str, description: str) -> dict[str, Any]:
    created = devportal.post(
        "/applications", json={"name": name, "throttlingPolicy": "Unlimited", "description": description}
    )
    assert created.status_code == 201, created.text
    application: dict[str, Any] = created.json()
    return application


def test_an_application_subscribed_to_a_product_is_promoted_with_its_subscription(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    _import_api(cli, tmp_path, "Seats")
    product = _create_product(rest["dev publisher"], "Cinema", ["Seats"])
    _deploy_and_publish(rest["dev publisher"], product)
    kiosk = _new_application(rest["dev devportal"], "Kiosk", "At the door")
    _subscribe(rest["dev devportal"], kiosk, product["id"])
    _promote_api(cli, tmp_path, "Seats")
    exported = cli("export", "api-product", "-n", "Cinema", "-v", "1.0.0", "-e", "dev", "-o", tmp_path)
    assert exported.exit_code == 0, exported.output
    assert cli("import", "api-product", "-f", tmp_path / "Cinema_1.0.0.zip", "-e", "prod").exit_code == 0

    assert cli("export", "app", "-n", "Kiosk", "-e", "dev", "-o", tmp_path).exit_code == 0
    imported = cli("import", "app", "-f", tmp_path / "Kiosk.zip", "-e", "prod")
    assert imported.exit_code == 0, imported.output
    promoted = _application(rest["prod devportal"], "Kiosk")
    assert promoted is not None
    assert _subscribed(rest["prod devportal"], promoted) == [("Cinema", "APIPRODUCT")]


def test_an_application_whose_subscription_has_no_target_is_not_created(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    _import_api(cli, tmp_path, "Lockers")
    product = _create_product(rest["dev publisher"], "Station", ["Lockers"])
    _deploy_and_publish(rest["dev publisher"], product)
    _subscribe(
        rest["dev devportal"], _new_application(rest["dev devportal"], "Commuter", "Daily"), product["id"]
    )
    assert cli("export", "app", "-n", "Commuter", "-e", "dev", "-o", tmp_path).exit_code == 0

    refused = cli.subprocess("import", "app", "-f", tmp_path / "Commuter.zip", "-e", "prod")
    assert refused.exit_code == 3
    assert "subscribes to Station 1.0.0, which is neither an API nor an API product" in refused.output
    assert "Traceback" not in refused.output
    assert _application(rest["prod devportal"], "Commuter") is None

    skipped = cli("import", "app", "-f", tmp_path / "Commuter.zip", "-e", "prod", "--skip-subscriptions")
    assert skipped.exit_code == 0, skipped.output
    commuter = _application(rest["prod devportal"], "Commuter")
    assert commuter is not None
    assert _subscribed(rest["prod devportal"], commuter) == []


def test_importing_an_existing_application_with_update_replaces_its_fields_and_subscriptions(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    dev, prod = rest["dev devportal"], rest["prod devportal"]
    _import_api(cli, tmp_path, "Loans")
    _promote_api(cli, tmp_path, "Loans")
    for env in ("dev", "prod"):
        published = cli("change-status", "api", "-a", "Publish", "-n", "Loans", "-v", "1.0.0", "-e", env)
        assert published.exit_code == 0, published.output
    library = _new_application(dev, "Library", "Lends books")
    assert cli("export", "app", "-n", "Library", "-e", "dev", "-o", tmp_path / "v1").exit_code == 0
    assert cli("import", "app", "-f", tmp_path / "v1" / "Library.zip", "-e", "prod").exit_code == 0
    in_prod = _application(prod, "Library")
    assert in_prod is not None
    assert _subscribed(prod, in_prod) == []

    changed = dev.put(
        f"/applications/{library['applicationId']}", json={**library, "description": "Lends books and films"}
    )
    assert changed.status_code == 200, changed.text
    [loans] = [a for a in dev.get("/apis").json()["list"] if a["name"] == "Loans"]
    _subscribe(dev, library, loans["id"])
    assert cli("export", "app", "-n", "Library", "-e", "dev", "-o", tmp_path / "v2").exit_code == 0
    refused = cli("import", "app", "-f", tmp_path / "v2" / "Library.zip", "-e", "prod")
    assert refused.exit_code == 3
    assert "use --update" in refused.output

    updated = cli("import", "app", "-f", tmp_path / "v2" / "Library.zip", "-e", "prod", "--update")
    assert updated.exit_code == 0, updated.output
    after = _application(prod, "Library")
    assert after is not None
    assert after["applicationId"] == in_prod["applicationId"]
    assert after["description"] == "Lends books and films"
    assert _subscribed(prod, after) == [("Loans", "HTTP")]


def test_dump_writes_every_product_past_the_first_page_of_a_hundred(
    cli: Cli, tmp_path: Path, rest: dict[str, httpx.Client]
) -> None:
    _import_api(cli, tmp_path, "Bins", env="prod")
    template = _create_product(rest["prod publisher"], "Bulk0", ["Bins"])
    members = [{"apiId": m["apiId"], "operations": m["operations"]} for m in template["apis"]]
    for index in range(1, 101):
        created = rest["prod publisher"].post(
            "/api-products", json={"name": f"Bulk{index}", "context": f"/bulk{index}", "apis": members}
        )
        assert created.status_code == 201, created.text
    listed = rest["prod publisher"].get("/api-products", params={"limit": 1}).json()
    assert listed["pagination"]["total"] > 100

    state = tmp_path / "state"
    assert cli("dump", "-e", "prod", "-d", state).exit_code == 0
    written = {p.stem for p in (state / "api-products").glob("*.yaml")}
    assert {f"Bulk{n}-1.0.0" for n in range(101)} <= written
    assert len(written) == listed["pagination"]["total"]
