"""``apimctl``: apictl's commands (environments, login, projects, import/export, lifecycle,
revisions) plus decK-style ``dump`` / ``diff`` / ``apply`` for CI pipelines.

Exit codes: 0 ok, 2 drift found by ``diff``, 3 usage or configuration error, 4 the platform
answered with an error, 5 the platform could not be reached.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.syntax import Syntax
from rich.table import Table
from typer.core import TyperGroup

from apimctl import config, declarative, project, yamlio
from apimctl.client import SCOPES, Client, register_client, request_token, stored_token
from apimctl.errors import DRIFT, USAGE, ApiError, CliError, UsageError

out = Console()
err = Console(stderr=True)


def _is_argument_error(exc: Exception) -> bool:
    """Typer's own (vendored) click usage errors: they carry ``show`` and exit code 2."""
    return hasattr(exc, "show") and getattr(exc, "exit_code", None) == 2


class Group(TyperGroup):
    """Turns every failure into a one-line message and its exit code; never a stack trace."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as exc:
            err.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("Interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _is_argument_error(exc):
                exc.exit_code = USAGE  # type: ignore[attr-defined]  # 2 is kept for drift
                raise
            if hasattr(exc, "show"):  # other click-style errors print themselves
                raise
            err.print(f"[bold red]Error:[/] unexpected {type(exc).__name__}: {exc}", highlight=False)
            raise typer.Exit(1) from None

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except Exception as exc:
            if _is_argument_error(exc):
                exc.exit_code = USAGE  # type: ignore[attr-defined]
            raise


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        cls=Group, help=help_text, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False
    )


HELP = (
    "Manage APIs on the platform from a terminal or a CI pipeline: apictl's commands (environments, "
    "login, API projects, import and export, lifecycle, revisions) plus decK-style dump, diff and apply."
    "\n\nExit codes: 0 ok, 2 drift found by diff, 3 usage or configuration error, "
    "4 the platform answered with an error (its code and message are printed), 5 the platform could not "
    "be reached.\n\nConfiguration and tokens live in ~/.config/apimctl (APIMCTL_CONFIG_DIR overrides it)."
)
app = _typer(HELP)
add_app = _typer("Add an environment.")
remove_app = _typer("Remove an environment.")
get_app = _typer("List environments, APIs, applications or API products.")
import_app = _typer("Import an API project, an application or an API product into an environment.")
export_app = _typer("Export APIs, applications or API products from an environment.")
status_app = _typer("Change the lifecycle status of an API.")
deploy_app = _typer("Deploy an API revision to gateway environments.")
undeploy_app = _typer("Undeploy an API revision from gateway environments.")
app.add_typer(add_app, name="add")
app.add_typer(remove_app, name="remove")
app.add_typer(get_app, name="get")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(status_app, name="change-status")
app.add_typer(deploy_app, name="deploy")
app.add_typer(undeploy_app, name="undeploy")

EnvOption = Annotated[str, typer.Option("--environment", "-e", help="Environment (see `apimctl get envs`).")]
NameOption = Annotated[str, typer.Option("--name", "-n", help="Name of the API.")]
VersionOption = Annotated[str, typer.Option("--version", "-v", help="Version of the API.")]
FormatOption = Annotated[
    str, typer.Option("--format", help="Output: table, json or yaml.", case_sensitive=False)
]
DirOption = Annotated[Path, typer.Option("--dir", "-d", help="Directory of the declarative files.")]
PruneOption = Annotated[bool, typer.Option("--prune", help="Also delete what the files do not describe.")]
RotateRevisionOption = Annotated[
    bool, typer.Option("--rotate-revision", help="At 5 revisions, delete the earliest to make room.")
]
PreserveProviderOption = Annotated[
    bool, typer.Option("--preserve-provider/--no-preserve-provider", help="Keep the provider.")
]


def _client(env: str) -> Client:
    return Client(config.environment(env))


def _exported_dir(kind: str, env: str, output: Path | None) -> Path:
    folder = output or config.config_dir() / "exported" / kind / env
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _find_api(client: Client, name: str, version: str) -> dict[str, Any]:
    for api in client.list_all("publisher", "/apis", {"query": f'name:"{name}"'}):
        if api["name"] == name and api["version"] == version:
            return api
    raise ApiError(404, "900310", "API Not Found", f"No API '{name}' with version '{version}'")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    )


def _print_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str, title: str) -> None:
    fmt = fmt.lower()
    if fmt == "json":
        out.print_json(json.dumps(rows))
    elif fmt == "yaml":
        out.print(yamlio.dumps(rows), end="", highlight=False)
    elif fmt == "table":
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        out.print(table)
    else:
        raise UsageError(f"--format must be table, json or yaml, not {fmt!r}")


# ----- environments -------------------------------------------------------------------------


@add_app.command("env")
def add_env(
    name: Annotated[str, typer.Argument(help="A name for the environment, e.g. dev or prod.")],
    apim: Annotated[str, typer.Option("--apim", help="Control-plane URL, e.g. https://localhost:9443.")],
    token: Annotated[
        str | None, typer.Option("--token", help="Token endpoint (default: <apim>/oauth2/token).")
    ] = None,
    registration: Annotated[
        str | None,
        typer.Option("--registration", help="DCR endpoint (default: <apim>/client-registration/...)."),
    ] = None,
    publisher: Annotated[str | None, typer.Option("--publisher", help="Publisher REST API base URL.")] = None,
    devportal: Annotated[str | None, typer.Option("--devportal", help="DevPortal REST API base URL.")] = None,
    admin: Annotated[str | None, typer.Option("--admin", help="Admin REST API base URL.")] = None,
) -> None:
    """Add (or replace) an environment: where its control plane answers."""
    if not apim.startswith(("http://", "https://")):
        raise UsageError(f"--apim must be an http(s) URL, not {apim!r}")
    environments = config.load_environments()
    environments[name] = config.Environment(name, apim, token, registration, publisher, devportal, admin)
    config.save_environments(environments)
    out.print(f"Successfully added environment '{name}'")


@remove_app.command("env")
def remove_env(name: Annotated[str, typer.Argument(help="The environment to remove.")]) -> None:
    """Remove an environment and log out of it."""
    environments = config.load_environments()
    if name not in environments:
        raise UsageError(f"Unknown environment '{name}'")
    del environments[name]
    config.save_environments(environments)
    config.Credentials().delete(name)
    out.print(f"Successfully removed environment '{name}'")


@get_app.command("envs")
def get_envs(fmt: FormatOption = "table") -> None:
    """List the environments."""
    rows = [{"name": e.name, **e.to_dict()} for e in config.load_environments().values()]
    _print_rows(rows, ["name", "apim", "token_endpoint"], fmt, "Environments")


# ----- login --------------------------------------------------------------------------------


@app.command()
def login(
    env: Annotated[str, typer.Argument(help="The environment to log in to.")],
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="User name (password grant).")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", "-p", help="Password (prefer --password-stdin).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help="Client credentials instead of a user (with --client-secret)."),
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option("--client-secret", help="Secret of --client-id.")
    ] = None,
) -> None:
    """Log in: register a REST client (DCR) and get a token with the password or client-credentials grant."""
    environment = config.environment(env)
    if client_id or client_secret:
        if not (client_id and client_secret):
            raise UsageError("--client-id and --client-secret go together")
        token = request_token(
            environment, client_id, client_secret, {"grant_type": "client_credentials", "scope": SCOPES}
        )
        stored = stored_token(token, client_id, client_secret, None)
    else:
        if not username:
            username = typer.prompt("Username")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif password is None:
            password = typer.prompt("Password", hide_input=True)
        if not password:
            raise UsageError("An empty password; give --password, --password-stdin or type it")
        registered_id, registered_secret = register_client(environment, username, password)
        form = {"grant_type": "password", "username": username, "password": password, "scope": SCOPES}
        token = request_token(environment, registered_id, registered_secret, form)
        stored = stored_token(token, registered_id, registered_secret, username)
    config.Credentials().set(env, stored)
    out.print(f"Logged in to '{env}'" + (f" as {username}" if username else ""))


@app.command()
def logout(env: Annotated[str, typer.Argument(help="The environment to log out of.")]) -> None:
    """Forget the stored token of an environment."""
    config.environment(env)
    removed = config.Credentials().delete(env)
    out.print(f"Logged out from '{env}'" if removed else f"Was not logged in to '{env}'")


# ----- projects -----------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new project.")],
    oas: Annotated[
        Path,
        typer.Option(
            "--oas",
            help="OpenAPI (or Swagger 2) or AsyncAPI definition, YAML or JSON; or a GraphQL schema.",
        ),
    ],
    definition: Annotated[
        Path | None, typer.Option("--definition", "-d", help="api.yaml-style fields to add (a template).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing folder.")] = False,
) -> None:
    """Create an API project: api.yaml, Definitions/, Docs/, Policies/, deployment_environments.yaml."""
    created = project.init(directory, oas, force=force, template=definition)
    out.print(f"Initialized a new project in {created}")


@import_app.command("api")
def import_api(
    file: Annotated[Path, typer.Option("--file", "-f", help="Project folder or exported zip.")],
    env: EnvOption,
    params: Annotated[
        Path | None,
        typer.Option("--params", help="params.yaml: this environment's endpoints, security, values."),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Update the API if it exists (else create it).")
    ] = False,
    rotate_revision: RotateRevisionOption = False,
    preserve_provider: PreserveProviderOption = True,
) -> None:
    """Import an API project (folder or zip) into an environment; deploys it where the project says."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = _project_folder(file, Path(scratch))
        if params is not None:
            configs = project.params_for(params, env)
            if configs is None:
                raise UsageError(f"{params} has no entry for the environment '{env}'")
            copy = Path(scratch) / "with-params" / folder.name
            _copy_tree(folder, copy)
            project.apply_params(copy, configs)
            folder = copy
        archive = project.pack(folder)
    with _client(env) as client:
        result = client.json(
            "POST",
            "publisher",
            "/apis/import",
            params={
                "overwrite": str(update).lower(),
                "rotateRevision": str(rotate_revision).lower(),
                "preserveProvider": str(preserve_provider).lower(),
            },
            files={"file": (f"{folder.name}.zip", archive, "application/zip")},
        )
    revision = f" (revision {result['revision']})" if result.get("revision") else ""
    out.print(f"Successfully imported API{revision}: {result['id']}")


def _project_folder(path: Path, scratch: Path) -> Path:
    if path.is_dir():
        return path
    if path.is_file():
        return project.unpack(path, scratch / "unpacked")
    raise UsageError(f"{path} does not exist")


def _copy_tree(source: Path, target: Path) -> None:
    for item in source.rglob("*"):
        if item.is_file():
            destination = target / item.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(item.read_bytes())


@export_app.command("api")
def export_api(
    name: NameOption,
    version: VersionOption,
    env: EnvOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the zip.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="YAML or JSON files inside the project.")] = "YAML",
) -> None:
    """Export one API as a project zip (definition, documents, policies, deployment environments)."""
    with _client(env) as client:
        path = _export_one(client, _find_api(client, name, version), env, output, fmt)
    out.print(f"Successfully exported API to {path}")


def _export_one(client: Client, api: dict[str, Any], env: str, output: Path | None, fmt: str) -> Path:
    response = client.request(
        "GET", "publisher", "/apis/export", params={"apiId": api["id"], "format": fmt.upper()}
    )
    target = _exported_dir("apis", env, output) / f"{api['name'].replace(' ', '')}_{api['version']}.zip"
    target.write_bytes(response.content)
    return target


@export_app.command("apis")
def export_apis(
    env: EnvOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the zips.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="YAML or JSON files inside the projects.")] = "YAML",
) -> None:
    """Export every API of an environment, one project zip each."""
    with _client(env) as client:
        apis = client.list_all("publisher", "/apis")
        with _progress() as progress:
            task = progress.add_task("Exporting APIs", total=len(apis))
            for api in apis:
                _export_one(client, api, env, output, fmt)
                progress.advance(task)
    out.print(f"Exported {len(apis)} APIs to {_exported_dir('apis', env, output)}")


# ----- applications and API products as files ------------------------------------------------


def _zip_one(type_: str, document: dict[str, Any], folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/{type_}.yaml", yamlio.dumps(project.envelope(type_, document)))
    return buffer.getvalue()


def _unzip_one(path: Path, type_: str) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            member = next((n for n in archive.namelist() if n.endswith(f"{type_}.yaml")), None)
            if member is None:
                raise UsageError(f"{path} holds no {type_}.yaml")
            text = archive.read(member).decode("utf-8")
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path} is not a readable zip: {exc}") from exc
    document = yamlio.plain(yamlio.loads(text, f"{path}:{member}"))
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not data.get("name"):
        raise UsageError(f"{path}:{member} must hold {{type: {type_}, data: {{name: ...}}}}")
    return data


@export_app.command("app")
def export_application(
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the application.")],
    env: EnvOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the zip.")] = None,
) -> None:
    """Export an application with its subscriptions."""
    with _client(env) as client:
        state = declarative.fetch_applications(client)
    document = state.get(("Application", name, ""))
    if document is None:
        raise ApiError(404, None, "Application Not Found", f"No application named '{name}'")
    data = {k: v for k, v in document.items() if k != "kind"}
    target = _exported_dir("apps", env, output) / f"{name.replace(' ', '')}.zip"
    target.write_bytes(_zip_one("application", data, name.replace(" ", "")))
    out.print(f"Successfully exported application to {target}")


@import_app.command("app")
def import_application(
    file: Annotated[Path, typer.Option("--file", "-f", help="Exported application zip.")],
    env: EnvOption,
    update: Annotated[bool, typer.Option("--update", help="Update the application if it exists.")] = False,
    skip_subscriptions: Annotated[
        bool, typer.Option("--skip-subscriptions", help="Leave subscriptions out.")
    ] = False,
) -> None:
    """Import an application (and its subscriptions) into an environment."""
    data = _unzip_one(file, "application")
    if skip_subscriptions:
        data.pop("subscriptions", None)
    document = {"kind": "Application", **data}
    key = declarative.key_of(document)
    with _client(env) as client:
        exists = key in declarative.fetch_applications(client)
        if exists and not update:
            raise UsageError(f"Application '{data['name']}' exists in '{env}'; use --update")
        change = declarative.Change("update" if exists else "create", key, document, None)
        declarative.apply(client, [change])
    out.print(f"Successfully imported application '{data['name']}'")


@export_app.command("api-product")
def export_api_product(
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the API product.")],
    version: Annotated[str, typer.Option("--version", "-v", help="Version of the API product.")],
    env: EnvOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the zip.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="YAML or JSON files inside the project.")] = "YAML",
) -> None:
    """Export an API product as a project zip (its APIs named by name and version, its definition,
    documents and deployment environments)."""
    with _client(env) as client:
        response = client.request(
            "GET",
            "publisher",
            "/api-products/export",
            params={"name": name, "version": version, "format": fmt.upper()},
        )
    target = _exported_dir("api-products", env, output) / f"{name.replace(' ', '')}_{version}.zip"
    target.write_bytes(response.content)
    out.print(f"Successfully exported API product to {target}")


@import_app.command("api-product")
def import_api_product(
    file: Annotated[Path, typer.Option("--file", "-f", help="API product project folder or exported zip.")],
    env: EnvOption,
    update: Annotated[bool, typer.Option("--update", help="Update the API product if it exists.")] = False,
    rotate_revision: RotateRevisionOption = False,
    import_apis: Annotated[
        bool, typer.Option("--import-apis", help="Import the APIs the project bundles under APIs/ first.")
    ] = False,
    update_apis: Annotated[
        bool, typer.Option("--update-apis", help="With --import-apis, update the bundled APIs that exist.")
    ] = False,
    preserve_provider: PreserveProviderOption = True,
) -> None:
    """Import an API product into an environment; the APIs it bundles must exist there (by name and
    version) unless --import-apis brings them in from the project. Deploys it and sets its lifecycle
    state as the project says."""
    if file.is_dir():
        archive = project.pack(file)
    elif file.is_file():
        archive = file.read_bytes()
    else:
        raise UsageError(f"{file} does not exist")
    with _client(env) as client:
        try:
            product = client.json(
                "POST",
                "publisher",
                "/api-products/import",
                params={
                    "overwriteAPIProduct": str(update).lower(),
                    "rotateRevision": str(rotate_revision).lower(),
                    "importAPIs": str(import_apis).lower(),
                    "overwriteAPIs": str(update_apis).lower(),
                    "preserveProvider": str(preserve_provider).lower(),
                },
                files={"file": (f"{file.stem}.zip", archive, "application/zip")},
            )
        except ApiError as exc:
            if exc.status == 409 and not update:
                exc.message += " (use --update to replace it)"
            raise
    out.print(f"Successfully imported API product {product['name']} {product['version']}: {product['id']}")


# ----- listing ------------------------------------------------------------------------------


@get_app.command("apis")
def get_apis(
    env: EnvOption,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Search, e.g. name:Pizza.")] = None,
    fmt: FormatOption = "table",
) -> None:
    """List the APIs of an environment."""
    with _client(env) as client:
        apis = client.list_all("publisher", "/apis", {"query": query} if query else None)
    columns = ["id", "name", "version", "context", "lifeCycleStatus", "provider"]
    _print_rows([{c: a.get(c) for c in columns} for a in apis], columns, fmt, f"APIs in {env}")


@get_app.command("apps")
def get_apps(env: EnvOption, fmt: FormatOption = "table") -> None:
    """List the applications of the logged-in user."""
    with _client(env) as client:
        apps = client.list_all("devportal", "/applications")
    columns = ["applicationId", "name", "owner", "throttlingPolicy", "status"]
    _print_rows([{c: a.get(c) for c in columns} for a in apps], columns, fmt, f"Applications in {env}")


@get_app.command("api-products")
def get_api_products(env: EnvOption, fmt: FormatOption = "table") -> None:
    """List the API products of an environment."""
    with _client(env) as client:
        products = client.list_all("publisher", "/api-products")
    columns = ["id", "name", "version", "context", "state", "provider"]
    _print_rows([{c: p.get(c) for c in columns} for p in products], columns, fmt, f"API products in {env}")


# ----- lifecycle and revisions ----------------------------------------------------------------


@status_app.command("api")
def change_status_api(
    action: Annotated[str, typer.Option("--action", "-a", help="e.g. Publish, Block, Deprecate, Retire.")],
    name: NameOption,
    version: VersionOption,
    env: EnvOption,
) -> None:
    """Change an API's lifecycle status with a lifecycle action."""
    with _client(env) as client:
        api = _find_api(client, name, version)
        response = client.request(
            "POST", "publisher", "/apis/change-lifecycle", params={"apiId": api["id"], "action": action}
        )
    body = response.json()
    state = (body.get("lifecycleState") or {}).get("state", "")
    if response.status_code == 202:
        out.print(f"'{action}' of {name} {version} is waiting for approval")
    else:
        out.print(f"{name} {version} is now {state or action}")


def _revision(client: Client, api_id: str, number: int) -> dict[str, Any]:
    for revision in client.json("GET", "publisher", f"/apis/{api_id}/revisions").get("list") or []:
        if revision["displayName"].split()[-1] == str(number):
            return dict(revision)
    raise ApiError(404, None, "Revision Not Found", f"The API has no revision {number}")


@deploy_app.command("revision")
def deploy_revision(
    name: NameOption,
    version: VersionOption,
    revision: Annotated[int, typer.Option("--rev", help="Revision number.")],
    gateway: Annotated[
        list[str], typer.Option("--gateway-env", "-g", help="Gateway environment (repeatable).")
    ],
    env: EnvOption,
    vhost: Annotated[
        str | None, typer.Option("--vhost", help="Virtual host (default: the gateway's first).")
    ] = None,
    hide_on_devportal: Annotated[
        bool, typer.Option("--hide-on-devportal", help="Do not show the endpoint.")
    ] = False,
) -> None:
    """Deploy a revision of an API to one or more gateway environments."""
    with _client(env) as client:
        api = _find_api(client, name, version)
        found = _revision(client, api["id"], revision)
        body = [{"name": g, "vhost": vhost, "displayOnDevportal": not hide_on_devportal} for g in gateway]
        client.request(
            "POST",
            "publisher",
            f"/apis/{api['id']}/deploy-revision",
            params={"revisionId": found["id"]},
            json=body,
        )
    out.print(f"Revision {revision} of {name} {version} deployed to {', '.join(gateway)}")


@undeploy_app.command("revision")
def undeploy_revision(
    name: NameOption,
    version: VersionOption,
    revision: Annotated[int, typer.Option("--rev", help="Revision number.")],
    env: EnvOption,
    gateway: Annotated[
        list[str] | None, typer.Option("--gateway-env", "-g", help="Gateway environment (default: all).")
    ] = None,
) -> None:
    """Undeploy a revision of an API from gateway environments (all of them unless -g is given)."""
    with _client(env) as client:
        api = _find_api(client, name, version)
        found = _revision(client, api["id"], revision)
        client.request(
            "POST",
            "publisher",
            f"/apis/{api['id']}/undeploy-revision",
            params={"revisionId": found["id"], "allEnvironments": str(not gateway).lower()},
            json=[{"name": g} for g in gateway or []],
        )
    out.print(
        f"Revision {revision} of {name} {version} undeployed from {', '.join(gateway or ['every gateway'])}"
    )


# ----- declarative ----------------------------------------------------------------------------


@contextmanager
def _fetching(client: Client) -> Iterator[dict[declarative.Key, dict[str, Any]]]:
    with err.status("Reading the environment...") as status:
        yield declarative.fetch(client, progress=lambda what: status.update(f"Reading {what}..."))


@app.command()
def dump(env: EnvOption, directory: DirOption = Path("apim-state")) -> None:
    """Write the environment's APIs, applications and API products as declarative files."""
    with _client(env) as client, _fetching(client) as state:
        pass
    written = declarative.write(directory, state)
    out.print(f"Wrote {len(written)} files to {directory}")


def _plan(client: Client, directory: Path, prune: bool) -> list[declarative.Change]:
    local = declarative.read(directory)  # a broken file fails before any call
    with _fetching(client) as remote:
        pass
    return declarative.compare(local, remote, prune=prune)


def _show(changes: list[declarative.Change], *, details: bool) -> None:
    colours = {"create": "green", "update": "yellow", "delete": "red"}
    for change in changes:
        out.print(f"[{colours[change.action]}]{change.action}[/] {change.label}", highlight=False)
        if details:
            out.print(Syntax(change.unified(), "diff", theme="ansi_dark", background_color="default"))


@app.command()
def diff(env: EnvOption, directory: DirOption = Path("apim-state"), prune: PruneOption = False) -> None:
    """Show what `apply` would change; exit code 2 when the environment differs from the files."""
    with _client(env) as client:
        changes = _plan(client, directory, prune)
    if not changes:
        out.print("No differences")
        return
    _show(changes, details=True)
    out.print(f"{len(changes)} difference(s)")
    raise typer.Exit(DRIFT)


@app.command("apply")
def apply_command(
    env: EnvOption,
    directory: DirOption = Path("apim-state"),
    prune: PruneOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
) -> None:
    """Create and update (and with --prune delete) so the environment matches the files."""
    with _client(env) as client:
        changes = _plan(client, directory, prune)
        if not changes:
            out.print("Nothing to change")
            return
        _show(changes, details=False)
        if dry_run:
            out.print(f"Dry run: {len(changes)} change(s) planned, none made")
            return
        with _progress() as progress:
            task = progress.add_task("Applying", total=len(changes))
            declarative.apply(client, changes, on_change=lambda _: progress.advance(task))
    out.print(f"Applied {len(changes)} change(s)")


@app.command("version")
def version() -> None:
    """Print apimctl's version."""
    from importlib.metadata import version as installed

    out.print(f"apimctl {installed('apimctl')}")
