"""The ``famille`` command: serve, worker, migrate, demo, doctor, create-town, invoice,
sepa-export, tax-certificates, import-families, register-documents, export-schema, check,
dev."""

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from importlib import metadata
from pathlib import Path

import uvicorn

from settings import get_settings

SCHEMA_FILE = Path("schema.graphql")


async def _migrate() -> None:
    from models.database import migrate

    await migrate()
    print("Migrations appliquées.")


async def _seed_demo() -> str:
    from models.database import init_db
    from resolvers.core.clock import SystemClock
    from resolvers.demo.demo import seed_demo

    await init_db()
    creds = await seed_demo(clock=SystemClock())
    # The family app's documents (gql/mobile/), answered by their compiled path.
    from gql.mobile.compiled import register_shipped_documents

    await register_shipped_documents(now=SystemClock().now())
    settings = get_settings()
    lines = [
        "",
        f"  GraphiQL : {settings.public_url}/graphql",
        f"  Commune (town) : {creds.town}",
        f"  Agent          : {creds.staff_email} / {creds.staff_password}",
        f"  Parent relié   : {creds.parent_email} / {creds.parent_password}",
    ]
    labels = {"admin": "Administrateur", "regisseur": "Régisseur", "site": "Agent de site"}
    lines += [
        f"  {labels[role.value]:<15}: {email} / {password}"
        for role, email, password in creds.role_accounts
    ]
    if creds.access_key:
        lines.append(f"  Clé d'accès    : {creds.access_key}  → {creds.access_key_for}")
    mails = (
        f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f"fichiers .eml dans {settings.outbox_dir}/"
    )
    lines.append(f"  Mails          : {mails}")
    return "\n".join(lines) + "\n"


def cmd_migrate(_: argparse.Namespace) -> None:
    asyncio.run(_migrate())


def cmd_demo(_: argparse.Namespace) -> None:
    async def run() -> None:
        from models.database import close_db

        await _migrate()
        print(await _seed_demo())
        await close_db()

    asyncio.run(run())


def _listen_on(args: argparse.Namespace) -> None:
    """--host/--port override the settings; links follow (settings.py) unless
    FAMILLE_PUBLIC_URL is set."""
    if args.host:
        os.environ["FAMILLE_HOST"] = args.host
    if args.port:
        os.environ["FAMILLE_PORT"] = str(args.port)
    get_settings.cache_clear()


def cmd_serve(args: argparse.Namespace) -> None:
    """uvicorn; with ``--workers N``, N processes on one socket, each with its own lifespan
    (database connections, Redis pool, caches: docs/deployment.md)."""
    _listen_on(args)
    settings = get_settings()
    workers = args.workers
    if workers < 1:
        sys.exit("--workers attend un nombre de processus, 1 ou plus.")
    if workers > 1:
        if settings.database_url.startswith("sqlite") or not settings.redis_url:
            sys.exit(
                "--workers au-delà de 1 demande PostgreSQL (FAMILLE_DATABASE_URL) et Redis "
                "(FAMILLE_REDIS_URL) : chaque processus aurait sinon sa propre file de "
                "travaux, et SQLite n'accepte qu'un écrivain à la fois."
            )
        # Workers are spawned: they read the settings again. A key drawn at random here
        # (FAMILLE_SECRET_KEY unset) must be the same in all of them, or a signed link made
        # by one is refused by the next.
        os.environ.setdefault("FAMILLE_SECRET_KEY", settings.secret_key)
    # Metrics of every process added up at each scrape: prometheus-client's multiprocess
    # mode, in a directory emptied now (docs/monitoring.md). Before anything imports
    # prometheus_client: it reads the variable once.
    from gql.observability.multiproc import prepare_multiprocess_dir

    prepare_multiprocess_dir(
        Path(tempfile.gettempdir()) / f"famille-metrics-{settings.host}-{settings.port}"
    )
    # Each process installs the access log's token redaction itself (gql/app.py), and
    # its logging (log_config=None: uvicorn's own lines take the famille format too).
    uvicorn.run(
        "gql.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        # Only these proxies' X-Forwarded-For is believed (docs/deployment.md): anyone else
        # could write a client address of their choosing in it.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        workers=workers,
        log_config=None,
    )


class _ServerWithoutSignals(uvicorn.Server):
    """uvicorn beside the worker, which handles SIGINT and SIGTERM itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def cmd_worker(_: argparse.Namespace) -> None:
    settings = get_settings()
    if not settings.redis_url:
        sys.exit(
            "FAMILLE_REDIS_URL est requis pour un worker séparé ; "
            "`famille dev` lance le worker dans le même processus sans Redis."
        )
    # One process: its metrics are its own (FAMILLE_WORKER_METRICS_PORT), never mixed
    # into the API's multiprocess files if the environment is shared.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from gql.observability.tracing import configure_tracing
    from jobs.worker import run_worker_until_signalled

    configure_tracing()

    async def run() -> None:
        metrics = None
        if settings.worker_metrics_port:
            from gql.observability.endpoint import metrics_app

            config = uvicorn.Config(
                metrics_app(),
                host=settings.host,
                port=settings.worker_metrics_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
            metrics = _ServerWithoutSignals(config)
            metrics_task = asyncio.create_task(metrics.serve())
        try:
            # Not arq's run_worker: it exits when Redis goes away (jobs/worker.py).
            await run_worker_until_signalled(settings)
        finally:
            if metrics is not None:
                metrics.should_exit = True
                # A port already taken: uvicorn logged it and gave up; the jobs ran anyway.
                with contextlib.suppress(Exception, SystemExit):
                    await metrics_task

    asyncio.run(run())


def cmd_doctor(_: argparse.Namespace) -> None:
    """Each check on a line (OK, ATTENTION, ERREUR), then exit 1 if any says ERREUR."""

    async def run() -> int:
        from jobs.doctor import Level, diagnose
        from jobs.queue import open_pool
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock

        settings = get_settings()
        redis = await open_pool(settings) if settings.redis_url else None
        try:
            findings = await diagnose(
                settings, redis=redis, now=SystemClock().now(), open_orm=init_db
            )
        finally:
            if redis is not None:
                await redis.aclose()
            await close_db()
        for finding in findings:
            print(finding.line())
        errors = sum(finding.level == Level.ERREUR for finding in findings)
        warnings = sum(finding.level == Level.ATTENTION for finding in findings)
        print(f"\n{errors} erreur(s), {warnings} point(s) d'attention.")
        return 1 if errors else 0

    sys.exit(asyncio.run(run()))


class ProgressBar:
    """A plain stderr bar: the run is long enough to want one, too simple for a library."""

    def __init__(self, label: str, width: int = 40) -> None:
        self.label = label
        self.width = width

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} foyers")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_invoice(args: argparse.Namespace) -> None:
    """Bill a month now (the worker's cron does it on the 1st); safe to run again. A month
    not over yet is refused; ``--dry-run`` prints what would be issued and writes nothing."""
    from datetime import date

    try:
        year, month = (int(part) for part in args.month.split("-"))
        first = date(year, month, 1)
    except ValueError:
        sys.exit("--month attend une date AAAA-MM, par exemple 2026-10.")

    async def run() -> None:
        from models.database import close_db, init_db
        from resolvers.billing.invoicing import invoice_month
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError
        from resolvers.core.french import format_euros, month_label

        await init_db()
        try:
            summary = await invoice_month(
                first,
                clock=SystemClock(),
                progress=None if args.dry_run else ProgressBar(month_label(first)),
                dry_run=args.dry_run,
            )
        except DomainError as error:
            sys.exit(error.message)
        finally:
            await close_db()
        if args.dry_run:
            print(f"{month_label(first)} — simulation, rien n'est émis ni envoyé :")
            for planned in summary.planned:
                delivery = "mail" if planned.mailed else "papier"
                print(
                    f"  {planned.household_reference or '-'}  {planned.household_name} : "
                    f"{planned.kind.value} {format_euros(planned.total_cents)} ({delivery})"
                )
            print(
                f"{month_label(first)} : {summary.invoices} facture(s), {summary.corrections} "
                f"correction(s) seraient émises, {summary.mailed} par mail, {summary.printed} "
                f"à imprimer, total {format_euros(summary.total_cents)}."
            )
            return
        print(
            f"{month_label(first)} : {summary.invoices} facture(s), {summary.corrections} "
            f"correction(s) (avoirs ou compléments), {summary.mailed} envoyée(s) par mail, "
            f"{summary.printed} à imprimer, total {format_euros(summary.total_cents)}."
        )

    asyncio.run(run())


def cmd_create_town(args: argparse.Namespace) -> None:
    """Create a town and invite its first administrator: the link is mailed (the worker
    sends the outbox) and printed, for an operator who hands it over another way."""

    async def run() -> None:
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError, ValidationErrors
        from resolvers.staff.towns import create_town

        await init_db()
        try:
            tenant, invitation = await create_town(
                args.slug, args.name, args.admin_email, clock=SystemClock()
            )
        except DomainError as error:
            sys.exit(error.message)
        except ValidationErrors as errors:
            sys.exit("\n".join(error.message for error in errors.errors))
        finally:
            await close_db()
        print(
            f"Commune « {tenant.name} » créée (slug : {tenant.slug}).\n"
            f"Invitation de l'administrateur envoyée à {invitation.account.email} :\n"
            f"  {invitation.link}"
        )

    asyncio.run(run())


def cmd_import_families(args: argparse.Namespace) -> None:
    """Import a town's families from a CSV (docs/import.md); run it again to update."""
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        sys.exit(f"{args.file} : illisible ({error.strerror}).")

    async def run() -> None:
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError
        from resolvers.households.imports import import_into_town, town_by_slug

        await init_db()
        try:
            town = await town_by_slug(args.town)
            report = await import_into_town(
                town,
                data,
                actor=None,
                clock=SystemClock(),
                dry_run=args.dry_run,
                send_keys=args.send_keys,
                progress=ProgressBar("Import"),
            )
        except DomainError as error:
            sys.exit(f"{args.file} refusé : {error.message}")
        finally:
            await close_db()
        verb = "seraient" if report.dry_run else "ont été"
        if report.dry_run:
            print("Simulation : rien n'est écrit ni envoyé.")
        print(
            f"{report.rows} ligne(s) lue(s). Familles : {report.families_created} {verb} "
            f"créée(s), {report.families_updated} mise(s) à jour, {report.families_unchanged} "
            f"inchangée(s), {report.families_refused} refusée(s)."
        )
        for label, counts in (
            ("Responsables", report.guardians),
            ("Enfants", report.children),
            ("Contacts", report.contacts),
        ):
            print(f"{label} : {counts.created} créé(s), {counts.updated} mis à jour.")
        if args.send_keys:
            print(f"Clés d'accès envoyées par mail : {report.keys_mailed}.")
        if report.refusals:
            print(f"{len(report.refusals)} ligne(s) refusée(s) :")
            for refusal in report.refusals:
                print(f"  ligne {refusal.line} : {refusal.message}")

    asyncio.run(run())


def _month_argument(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        sys.exit("--month attend une date AAAA-MM, par exemple 2026-10.")


def cmd_sepa_export(args: argparse.Namespace) -> None:
    """Write a régie's pain.008 file of a month; refused if already exported (not cancelled)."""
    first = _month_argument(args.month)

    async def run() -> None:
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError
        from resolvers.core.french import format_euros, format_short_date, month_label
        from resolvers.sepa.direct_debit import authority_by_code, export_authority_month

        await init_db()
        try:
            authority = await authority_by_code(args.regie, args.town)
            batch = await export_authority_month(authority, first, actor=None, clock=SystemClock())
        except DomainError as error:
            sys.exit(error.message)
        finally:
            await close_db()
        output = Path(args.output or f"prelevements-{args.regie.upper()}-{first:%Y-%m}.xml")
        output.write_text(batch.xml, encoding="utf-8")
        print(
            f"{month_label(first)} : {batch.line_count} prélèvement(s), total "
            f"{format_euros(batch.total_cents)}, prélevés le "
            f"{format_short_date(batch.collection_date)} → {output}"
        )

    asyncio.run(run())


def cmd_pes_export(args: argparse.Namespace) -> None:
    """Write a régie's PES V2 file of a month for the Trésor public; refused if already
    exported (not cancelled)."""
    first = _month_argument(args.month)

    async def run() -> None:
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError, ValidationErrors
        from resolvers.core.french import format_euros, month_label
        from resolvers.treasury.pes_export import authority_by_code, export_authority_month

        await init_db()
        try:
            authority = await authority_by_code(args.regie, args.town)
            batch = await export_authority_month(authority, first, actor=None, clock=SystemClock())
        except DomainError as error:
            sys.exit(error.message)
        except ValidationErrors as errors:
            sys.exit("\n".join(error.message for error in errors.errors))
        finally:
            await close_db()
        output = Path(args.output or batch.file_name)
        output.write_bytes(bytes(batch.content))
        print(
            f"{month_label(first)} : bordereau {batch.bordereau_number} de {batch.exercise}, "
            f"{batch.piece_count} titre(s), total {format_euros(batch.total_cents)} → {output}"
        )

    asyncio.run(run())


def cmd_tax_certificates(args: argparse.Namespace) -> None:
    """Write every « attestation de frais de garde » of a year as PDFs, one per child."""

    async def run() -> None:
        from models.database import close_db, init_db
        from models.tenants import Tenant
        from resolvers.billing.tax_certificates import (
            certificate_filename,
            certificates,
            check_year,
            render_certificate,
        )
        from resolvers.core.clock import SystemClock
        from resolvers.core.errors import DomainError

        clock = SystemClock()
        try:
            check_year(args.year, clock.now().date())
        except DomainError as error:
            sys.exit(error.message)
        output = Path(args.output_dir or f"attestations-{args.year}")
        await init_db()
        written = 0
        try:
            towns = Tenant.filter(slug=args.town) if args.town else Tenant.all()
            for town in await towns.order_by("id"):
                folder = output / town.slug
                for certificate in await certificates(town.id, args.year):
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / certificate_filename(certificate)).write_bytes(
                        render_certificate(certificate, town.name, clock.now().date())
                    )
                    written += 1
        finally:
            await close_db()
        print(f"{written} attestation(s) de frais de garde {args.year} → {output}/")

    asyncio.run(run())


def cmd_register_documents(args: argparse.Namespace) -> None:
    """Register a client app's documents (Apollo or Relay manifest) for trusted mode."""
    import json

    from gql.manifests import ManifestError, read_manifest

    documents = []
    for path in args.files:
        try:
            documents += read_manifest(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            sys.exit(f"{path} : illisible ({error}).")
        except ManifestError as error:
            sys.exit(f"{path} : {error}")

    async def run() -> None:
        from gql.manifests import register_documents
        from models.database import close_db, init_db
        from resolvers.core.clock import SystemClock

        await init_db()
        try:
            done = await register_documents(documents, now=SystemClock().now())
        except ManifestError as error:
            sys.exit(str(error))
        finally:
            await close_db()
        print(
            f"{done.added} document(s) enregistré(s), {done.known} déjà connu(s) "
            f"({len(documents)} lu(s) dans {', '.join(args.files)})."
        )

    asyncio.run(run())


def cmd_check(_: argparse.Namespace) -> None:
    """After a restore (docs/backups.md): verify what must hold in the data, say in French
    what is broken, exit 1 if anything is."""

    async def run() -> bool:
        from jobs.worker import FUNCTIONS
        from models.database import close_db, init_db
        from resolvers.integrity.checks import run_checks
        from resolvers.live.live import LIVE_EVENTS_FUNCTION

        await init_db()
        try:
            known = {function.__name__ for function in FUNCTIONS} | {LIVE_EVENTS_FUNCTION}
            results = await run_checks(known)
        finally:
            await close_db()
        for result in results:
            mark = "OK " if result.ok else "ERREUR"
            print(f"{mark:<6} {result.title} : {result.checked or 'non vérifié'}")
            for problem in result.problems:
                print(f"       - {problem}")
            for note in result.notes:
                print(f"       (i) {note}")
        problems = sum(len(result.problems) for result in results)
        if problems:
            print(f"{problems} problème(s) : les données ne sont pas cohérentes.")
        else:
            print("Tout est cohérent.")
        return problems == 0

    if not asyncio.run(run()):
        sys.exit(1)


def cmd_export_schema(args: argparse.Namespace) -> None:
    from gql.schema import export_sdl

    sdl = export_sdl()
    if args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != sdl:
            sys.exit("schema.graphql est périmé : lancez `famille export-schema`.")
        print("schema.graphql est à jour.")
        return
    SCHEMA_FILE.write_text(sdl)
    print(f"Schéma écrit dans {SCHEMA_FILE}.")


def cmd_dev(args: argparse.Namespace) -> None:
    """Migrate, seed the demo town, then run the API and the worker in one process."""

    _listen_on(args)

    async def run() -> None:
        from gql import access_log
        from gql.app import create_app
        from jobs.queue import open_pool
        from jobs.worker import build_worker

        settings = get_settings()
        await _migrate()
        banner = await _seed_demo()
        redis = await open_pool(settings)
        worker = build_worker(settings, redis, close_db_on_exit=False)
        config = uvicorn.Config(
            create_app(redis=redis),
            host=settings.host,
            port=settings.port,
            log_level="info",
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
        access_log.install()
        server = uvicorn.Server(config)
        worker_task = asyncio.create_task(worker.async_run())

        def stop_if_worker_died(task: asyncio.Task[None]) -> None:
            # A worker that dies must stop the dev server loudly, not leave mails unsent.
            if not task.cancelled() and task.exception() is not None:
                logging.error("le worker s'est arrêté", exc_info=task.exception())
                server.should_exit = True

        worker_task.add_done_callback(stop_if_worker_died)
        print(banner, flush=True)
        try:
            await server.serve()
        finally:
            worker_task.cancel()
            await worker.close()

    asyncio.run(run())


def _version() -> str:
    try:
        return metadata.version("famille")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "inconnue"


def logger_levels(command: str, log_level: str) -> dict[str, int]:
    """Levels set on top of FAMILLE_LOG_LEVEL. arq logs every job and cron run at INFO, as
    it starts and as it ends: an idle `famille dev` printed eight lines a minute (the
    outbox relay thrice, the kitchen forecast once). Under `dev` arq says only warnings
    and errors (a failed job, a lost Redis) unless the level is `debug`; a production
    `famille worker` keeps its job log."""
    if command == "dev" and log_level != "debug":
        return {"arq": logging.WARNING}
    if command in ("doctor", "check") and log_level != "debug":
        # The report is read by people: the ORM's start and stop lines would cut into it.
        return {"tortoise": logging.WARNING}
    return {}


def configure_logging(command: str) -> None:
    """Plain lines or JSON ones (FAMILLE_LOG_FORMAT), secrets masked either way
    (resolvers/core/logs.py)."""
    from resolvers.core import logs

    settings = get_settings()
    level = settings.log_level
    logs.configure(level=level, json_lines=settings.log_format == "json")
    for name, logger_level in logger_levels(command, level).items():
        logging.getLogger(name).setLevel(logger_level)


def _add_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="famille",
        add_help=False,
        description="Portail famille : API GraphQL, worker et tâches d'exploitation. "
        "Réglages par variables d'environnement FAMILLE_* (voir README).",
    )
    _add_help(parser)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="affiche la version"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, title="commandes", metavar="COMMANDE"
    )

    def add_parser(name: str, help: str, description: str) -> argparse.ArgumentParser:
        """A subcommand with the French -h/--help first."""
        sub = commands.add_parser(name, add_help=False, help=help, description=description)
        _add_help(sub)
        return sub

    for name, func, help_text in (
        ("serve", cmd_serve, "API GraphQL sous uvicorn"),
        ("dev", cmd_dev, "migrations + démo + API + worker en un processus"),
    ):
        sub = add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--host", default=None, help="adresse d'écoute (défaut : FAMILLE_HOST, 127.0.0.1)"
        )
        sub.add_argument(
            "--port", type=int, default=None, help="port d'écoute (défaut : FAMILLE_PORT, 8000)"
        )
        if name == "serve":
            sub.add_argument(
                "--workers",
                type=int,
                default=1,
                help="processus uvicorn (PostgreSQL et Redis requis au-delà de 1)",
            )
        sub.set_defaults(func=func)
    for name, command, help_text in (
        ("worker", cmd_worker, "worker arq (FAMILLE_REDIS_URL requis)"),
        ("migrate", cmd_migrate, "applique les migrations"),
        ("demo", cmd_demo, "crée la commune de démo et affiche les accès"),
        (
            "doctor",
            cmd_doctor,
            "vérifie l'installation (clé, HTTPS, base, Redis, SMTP, paiements, worker, "
            "disque) ; code 1 en cas d'erreur",
        ),
        (
            "check",
            cmd_check,
            "vérifie la cohérence des données (après une restauration) ; code 1 sinon",
        ),
    ):
        add_parser(name, help=help_text, description=help_text).set_defaults(func=command)
    town = add_parser(
        "create-town",
        help="crée une commune et invite son premier administrateur",
        description="crée une commune et envoie (et affiche) l'invitation de son premier "
        "administrateur",
    )
    town.add_argument("--slug", required=True, help="nom court, pour la connexion (ex. castres)")
    town.add_argument("--name", required=True, help="nom affiché (ex. « Ville de Castres »)")
    town.add_argument("--admin-email", required=True, help="e-mail du premier administrateur")
    town.set_defaults(func=cmd_create_town)
    invoice = add_parser(
        "invoice",
        help="facture un mois (sans doublon)",
        description="facture un mois pour chaque régie ; relancer le même mois n'émet rien de plus",
    )
    invoice.add_argument("--month", required=True, help="mois facturé (terminé), AAAA-MM")
    invoice.add_argument(
        "--dry-run",
        action="store_true",
        help="affiche ce qui serait émis (foyers, montants) sans rien écrire ni envoyer",
    )
    invoice.set_defaults(func=cmd_invoice)
    sepa = add_parser(
        "sepa-export",
        help="fichier de prélèvements SEPA (pain.008)",
        description="écrit le fichier pain.008 d'une régie pour un mois et enregistre le lot",
    )
    sepa.add_argument("--regie", required=True, help="code de la régie (paramètres SEPA)")
    sepa.add_argument("--month", required=True, help="mois facturé, AAAA-MM")
    sepa.add_argument("--town", default=None, help="commune (slug) si le code est ambigu")
    sepa.add_argument("--output", default=None, help="fichier écrit (défaut : ./prelevements-…)")
    sepa.set_defaults(func=cmd_sepa_export)
    pes = add_parser(
        "pes-export",
        help="titres du mois pour le Trésor public (PES V2 ORMC)",
        description="écrit le fichier PES V2 (rôle ORMC) d'une régie pour un mois, à déposer "
        "dans Hélios, et verrouille les factures envoyées",
    )
    pes.add_argument("--regie", required=True, help="code de la régie (modèle PES)")
    pes.add_argument("--month", required=True, help="mois facturé, AAAA-MM")
    pes.add_argument("--town", default=None, help="commune (slug) si le code est ambigu")
    pes.add_argument("--output", default=None, help="fichier écrit (défaut : ./PES_…xml)")
    pes.set_defaults(func=cmd_pes_export)
    certificates = add_parser(
        "tax-certificates",
        help="attestations de frais de garde d'une année (PDF)",
        description="écrit une attestation de frais de garde par enfant et par commune",
    )
    certificates.add_argument("--year", type=int, required=True, help="année des paiements")
    certificates.add_argument("--town", default=None, help="une seule commune (slug)")
    certificates.add_argument(
        "--output-dir", default=None, help="dossier écrit (défaut : ./attestations-ANNÉE)"
    )
    certificates.set_defaults(func=cmd_tax_certificates)
    families = add_parser(
        "import-families",
        help="importe les familles d'un fichier CSV (Arpège, JVS, Noethys…)",
        description="importe les familles d'un CSV (docs/import.md) dans une commune ; "
        "relancé, il met à jour sans créer de doublon",
    )
    families.add_argument("file", metavar="FILE", help="fichier CSV (UTF-8 ou Windows-1252)")
    families.add_argument("--town", required=True, help="commune (slug)")
    families.add_argument(
        "--dry-run", action="store_true", help="affiche ce qui serait fait sans rien écrire"
    )
    families.add_argument(
        "--send-keys",
        action="store_true",
        help="envoie une clé d'accès aux responsables qui ont un e-mail",
    )
    families.set_defaults(func=cmd_import_families)
    register = add_parser(
        "register-documents",
        help="enregistre les documents GraphQL d'une application (manifeste Apollo ou Relay)",
        description="enregistre les documents de confiance (FAMILLE_PERSISTED_ONLY) d'un "
        "manifeste Apollo (persisted-query-manifest.json) ou Relay",
    )
    register.add_argument("files", nargs="+", metavar="FILE", help="manifeste JSON")
    register.set_defaults(func=cmd_register_documents)
    export = add_parser(
        "export-schema", help="écrit schema.graphql", description="écrit le schéma GraphQL (SDL)"
    )
    export.add_argument("--check", action="store_true", help="échoue si le fichier est périmé")
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    configure_logging(args.command)
    args.func(args)


if __name__ == "__main__":
    main()
