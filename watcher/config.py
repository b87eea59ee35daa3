"""The configuration: one TOML file layered over defaults that live here, with a help text per
setting (the ``description`` of each field: shown by ``opco-watch init`` and in the README).

Secrets never live in the file: the SMTP password comes from ``OPCO_WATCH_SMTP_PASSWORD``.
Every problem is reported with its dotted key and what to do (``ConfigError``), never as a
traceback; ``load_config`` collects all problems of a file before raising.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from responses.settings import DocumentsConfig, ResponsesConfig
from scrapers.registry import PLATFORMS, SOURCES
from watcher.classify.profile import Profile
from watcher.config_types import ConfigPath, EmailStr
from watcher.errors import ConfigError
from watcher.notify.settings import MailConfig, ScheduleConfig
from watcher.webconfig import WebConfig

if TYPE_CHECKING:  # the scrapers and the fetcher (bs4, httpx) load when a source is polled
    from scrapers.base import Source
    from watcher.fetch import FetchSettings

CONFIG_ENV = "OPCO_WATCH_CONFIG"
#: a database URL (it may hold a password) given outside the file; wins over store.database_url
DATABASE_ENV = "OPCO_WATCH_DATABASE_URL"
DEFAULT_CONFIG = Path("opco-watch.toml")
VERSION = "0.1.0"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class OrganisationConfig(Section):
    name: str = Field("Mon organisme de formation", description="Legal name of the organisation.")
    siret: str = Field("", description="SIRET number (14 digits), printed on response drafts.")
    nda: str = Field("", description="Numéro de déclaration d'activité (11 digits).")
    contact_email: EmailStr = Field(
        "veille@example.org",
        description="Contact address sent in the User-Agent so site owners can reach you.",
    )

    @field_validator("siret")
    @classmethod
    def _siret(cls, value: str) -> str:
        digits = value.replace(" ", "")
        if digits and (len(digits) != 14 or not digits.isdigit()):
            raise ValueError("a SIRET has 14 digits")
        return digits

    @field_validator("nda")
    @classmethod
    def _nda(cls, value: str) -> str:
        digits = value.replace(" ", "")
        if digits and (len(digits) != 11 or not digits.isdigit()):
            raise ValueError("an NDA has 11 digits")
        return digits


class FetchConfig(Section):
    timeout_seconds: float = Field(
        20.0, gt=0, le=300, description="Longest wait for a connection or for the next bytes."
    )
    request_deadline_seconds: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Longest time for one whole request (a site trickling bytes is cut here).",
    )
    source_deadline_seconds: float = Field(
        900.0,
        gt=0,
        le=86400,
        description="Longest time for one source's poll; past it the poll is recorded as failed.",
    )
    retries: int = Field(3, ge=0, le=10, description="Extra attempts on errors, 5xx and 429.")
    retry_after_wait_seconds: float = Field(
        30.0,
        ge=0,
        le=600,
        description="A Retry-After up to this is waited for once; a longer one skips the source "
        "until the time the site named.",
    )
    retry_after_max_hours: float = Field(
        24.0, gt=0, le=720, description="The longest a site's Retry-After may pause its source."
    )
    per_host: int = Field(4, ge=1, le=32, description="Concurrent requests to one host.")
    max_body_mb: float = Field(10.0, gt=0, le=500, description="Largest page or file downloaded.")
    respect_robots: bool = Field(
        True,
        description="Obey robots.txt (keep it on); each host's copy is kept up to 24 hours "
        "in the store (RFC 9309).",
    )


class StoreConfig(Section):
    data_dir: ConfigPath = Field(
        Path("data"), description="Folder for the database and outbox (relative to this file)."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of another database (PostgreSQL); empty = SQLite file. "
        "OPCO_WATCH_DATABASE_URL, if set, wins (keeps a password out of the file).",
    )
    grouping_horizon_days: int = Field(
        365,
        ge=30,
        le=3650,
        description="Days after its deadline a call stays a candidate for a new notice of the "
        "same buyer and title (exact references link notices whatever the age).",
    )


class SourceConfig(BaseModel):
    """Common settings of a source; its own settings (``Options``) sit beside them."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = Field(True, description="Poll this source.")
    kind: str = Field(
        "", description="Only for a source you add: its platform kind (see the README's sources)."
    )
    interval_minutes: int = Field(60, ge=5, le=10080, description="Minutes between two polls.")


def _default_sources() -> dict[str, SourceConfig]:
    return {name: SourceConfig() for name in SOURCES}


class Config(Section):
    organisation: OrganisationConfig = Field(default_factory=OrganisationConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=_default_sources)
    profile: Profile = Field(default_factory=Profile)
    mail: MailConfig = Field(default_factory=MailConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    documents: DocumentsConfig = Field(default_factory=DocumentsConfig)
    responses: ResponsesConfig = Field(default_factory=ResponsesConfig)
    web: WebConfig = Field(default_factory=WebConfig)

    #: where the file was read from (relative paths are resolved against its folder)
    base_dir: Path = Field(Path("."), exclude=True)

    @property
    def data_dir(self) -> Path:
        return (self.base_dir / self.store.data_dir).expanduser().resolve()

    @property
    def database(self) -> str:
        url = os.environ.get(DATABASE_ENV) or self.store.database_url
        return url or str(self.data_dir / "opco-watch.db")

    def fetch_settings(self, *, mirror: str | None = None) -> FetchSettings:
        from watcher.fetch import FetchSettings

        contact = self.organisation.contact_email
        return FetchSettings(
            timeout=self.fetch.timeout_seconds,
            request_deadline=self.fetch.request_deadline_seconds,
            retries=self.fetch.retries,
            retry_after_wait_max=self.fetch.retry_after_wait_seconds,
            retry_after_defer_max=self.fetch.retry_after_max_hours * 3600,
            per_host=self.fetch.per_host,
            max_body_bytes=int(self.fetch.max_body_mb * 1_000_000),
            user_agent=f"opco-watch/{VERSION} (+mailto:{contact})",
            respect_robots=self.fetch.respect_robots,
            mirror=mirror,
        )

    def source_names(self) -> list[str]:
        """Built-in sources first (registry order), then the ones the user added."""
        return [*SOURCES, *(name for name in self.sources if name not in SOURCES)]

    def enabled_sources(self) -> list[str]:
        return [n for n in self.source_names() if self.sources.get(n, SourceConfig()).enabled]

    def source_class(self, name: str) -> type[Source]:
        if name in SOURCES:
            return SOURCES[name]
        return PLATFORMS[self.sources[name].kind]

    def source_description(self, name: str) -> str:
        """The source's one-line description, without importing its scraper."""
        if name in SOURCES:
            return SOURCES.description(name)
        return PLATFORMS.description(self.sources[name].kind)

    def source_platform(self, name: str) -> str:
        if name in SOURCES:
            return SOURCES.platform(name)
        return PLATFORMS.platform(self.sources[name].kind)

    def source_options(self, name: str) -> BaseModel:
        extra = self.sources.get(name, SourceConfig()).model_extra or {}
        if name in SOURCES:
            return SOURCES.options(name).model_validate(extra)
        return PLATFORMS.options(self.sources[name].kind).model_validate(extra)

    def build_source(self, name: str) -> Source:
        return self.source_class(name)(self.source_options(name), name=name)


# ------------------------------------------------------------------------------------ loading


def config_path(explicit: str | Path | None = None) -> Path:
    """The file to read: ``--config``, else ``$OPCO_WATCH_CONFIG``, else ./opco-watch.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None, *, required: bool = True) -> Config:
    """Read and validate the file; all problems are reported at once in one ConfigError."""
    file = config_path(path)
    if not file.exists():
        if required:
            raise ConfigError(
                f"aucun fichier de configuration à {file}",
                hint="lancez `opco-watch init` pour en créer un, ou donnez --config CHEMIN",
            )
        return Config()
    return config_from_bytes(read_bytes(file), base_dir=file.parent, name=str(file))


def config_from_bytes(data: bytes, *, base_dir: Path = Path("."), name: str = "the file") -> Config:
    """The configuration these bytes describe. Whatever the bytes, the only exception raised
    is ``ConfigError`` (every problem of the file in one message): the fuzzing entry point."""
    raw = parse_toml(data, name)
    config, problems = checked_config(raw, base_dir)
    if config is None or problems:
        lines = "\n".join(f"- {p}" for p in problems)
        raise ConfigError(f"{name} has {len(problems)} problem(s):\n{lines}")
    return config


def validate_file(file: Path) -> list[ConfigError]:
    """Every problem in the file, each with its key and what to do."""
    try:
        raw = parse_toml(read_bytes(file), str(file))
    except ConfigError as error:
        return [error]
    return validate_raw(raw, file.parent)


def validate_raw(raw: dict[str, Any], base_dir: Path) -> list[ConfigError]:
    """The problems of a parsed file: unknown keys, wrong types, bad values, unknown sources."""
    return checked_config(raw, base_dir)[1]


def checked_config(raw: dict[str, Any], base_dir: Path) -> tuple[Config | None, list[ConfigError]]:
    """The configuration of a parsed file (None when the models refuse it) and the file's
    problems (``validate_raw``): validated once, the configuration kept (issue 12)."""
    problems = _source_problems(raw.get("sources"))
    try:
        return build_config(base_dir, raw), problems
    except ValidationError as error:
        problems = [_explain(item) for item in error.errors()] + problems
    except RecursionError:
        problems.insert(0, _too_deep(key=_deepest_key(raw)))
    return None, problems


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {file}: {error.strerror}") from None


def parse_toml(data: bytes, name: str = "the file") -> dict[str, Any]:
    """TOML from bytes: UTF-8 (a byte-order mark is allowed), else a ConfigError saying where."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{name} is not UTF-8 text: byte 0x{data[error.start]:02x} on line {line}",
            hint="save it as UTF-8 (Save as… -> encoding UTF-8 in most editors)",
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{name} is not valid TOML: {error}", hint="fix the syntax there"
        ) from None
    except RecursionError:
        raise _too_deep(line=_deepest_line(text)) from None
    except ValueError as error:  # Python reads no integer of more than 4,300 digits
        words = "a number has too many digits" if "digits" in str(error) else str(error)
        raise ConfigError(f"{name} cannot be read: {words}", hint="fix the value") from None


def _too_deep(*, key: str | None = None, line: int | None = None) -> ConfigError:
    where = f" (from line {line})" if line else ""
    return ConfigError(
        f"lists or tables nested too deeply{where}",
        key=key,
        hint="a configuration nests a few levels: remove the extra brackets",
    )


def _deepest_key(raw: dict[str, Any]) -> str | None:
    """The first keys of the most deeply nested value (walked without recursion)."""
    deepest: tuple[Any, ...] = ()
    stack: list[tuple[tuple[Any, ...], Any]] = [((), raw)]
    while stack:
        path, node = stack.pop()
        if len(path) > len(deepest):
            deepest = path
        if isinstance(node, dict):
            stack += [((*path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [((*path, i), v) for i, v in enumerate(node)]
    named = [str(part) for part in deepest[:4]]
    return ".".join(named) if named else None


def _deepest_line(text: str, limit: int = 100) -> int | None:
    """The line where brackets first nest deeper than ``limit`` (strings not told apart: a
    hint for the reader, not a parse)."""
    depth = 0
    for index, char in enumerate(text):
        depth += char in "[{"
        depth -= char in "]}"
        if depth > limit:
            return text.count("\n", 0, index) + 1
    return None


def build_config(base_dir: Path, raw: dict[str, Any]) -> Config:
    own = raw.get("sources", {})
    if not isinstance(own, dict):  # reported by the validation: "must be a table"
        return Config.model_validate({**raw, "base_dir": base_dir})
    defaults = {k: v.model_dump() for k, v in _default_sources().items()}
    return Config.model_validate({**raw, "sources": {**defaults, **own}, "base_dir": base_dir})


def _source_problems(sources: Any) -> list[ConfigError]:
    """Unknown sources and bad source-specific settings ([sources.NAME] beyond the common keys)."""
    if not isinstance(sources, dict):
        return []  # reported by the model validation ("must be a table")
    problems: list[ConfigError] = []
    for name, table in sources.items():
        kind = table.get("kind", "") if isinstance(table, dict) else ""
        kind = kind if isinstance(kind, str) else ""  # a wrong type is the model's to report
        registry = SOURCES if name in SOURCES else PLATFORMS if kind in PLATFORMS else None
        if registry is None:
            problems.append(_unknown_kind(name, kind) if kind else _unknown_source(name))
        elif isinstance(table, dict):
            own = {k: v for k, v in table.items() if k not in SourceConfig.model_fields}
            model = registry.options(name if registry is SOURCES else kind)
            problems += _option_problems(name, model, own)
    return problems


def _unknown_kind(name: str, kind: str) -> ConfigError:
    known = ", ".join(PLATFORMS) or "none yet"
    return ConfigError(
        f"unknown platform kind '{kind}'", key=f"sources.{name}.kind", hint=f"known kinds: {known}"
    )


def _option_problems(
    name: str, model: type[BaseModel], options: dict[str, Any]
) -> list[ConfigError]:
    try:
        model.model_validate(options)
    except ValidationError as error:
        return [_explain(item, prefix=("sources", name)) for item in error.errors()]
    return []


def _unknown_source(name: str) -> ConfigError:
    import difflib  # for a mistake only

    close = difflib.get_close_matches(name, list(SOURCES), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known sources: {', '.join(SOURCES)}"
    if PLATFORMS and not close:
        hint += f"; to add a source, set kind = one of {', '.join(PLATFORMS)}"
    return ConfigError(f"unknown source '{name}'", key=f"sources.{name}", hint=hint)


# ------------------------------------------------------------------------- error explanations

#: the longest value quoted in a message
SHOWN_CHARS = 80
_BOUNDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
    "too_short": "at least this long:",
    "too_long": "at most this long:",
}
_TYPE_WORDS = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text in quotes",
    "list_type": 'a list, like ["a", "b"]',
    "dict_type": "a table, like [section]",
    "model_type": "a table, like [section]",
    "date_type": "a date, like 2027-03-31",
    "date_from_datetime_parsing": "a date, like 2027-03-31",
    "date_parsing": "a date, like 2027-03-31",
}


def _explain(item: Any, prefix: tuple[Any, ...] = ()) -> ConfigError:
    loc = (*prefix, *item["loc"])
    key = ".".join(str(part) for part in loc)
    kind = item["type"]
    got = shown(item.get("input"))
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        return ConfigError("this setting is required", key=key, hint="add it to the file")
    if kind in _BOUNDS:
        limit = next(iter((item.get("ctx") or {"": "?"}).values()))
        return ConfigError(f"must be {_BOUNDS[kind]} {shown(limit)} (got {got})", key=key)
    if kind in _TYPE_WORDS:
        return ConfigError(f"must be {_TYPE_WORDS[kind]} (got {got})", key=key)
    message = str(item["msg"]).removeprefix("Value error, ")[: SHOWN_CHARS * 4]
    return ConfigError(f"{message} (got {got})", key=key)


def shown(value: Any) -> str:
    """A value as the file wrote it, cut short: a huge or deeply nested one stays readable."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "a very large number"
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return "a deeply nested value"
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _unknown_key(loc: tuple[Any, ...]) -> ConfigError:
    key = ".".join(str(part) for part in loc)
    known = _known_keys(loc[:-1])
    import difflib

    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        hint = f"did you mean '{close[0]}'?"
    else:
        hint = f"known keys here: {', '.join(known)}" if known else "remove it"
    return ConfigError("unknown key", key=key, hint=hint)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at ``loc`` (for "did you mean")."""
    if len(loc) == 2 and loc[0] == "sources" and loc[1] in SOURCES:
        return [*SourceConfig.model_fields, *SOURCES.options(loc[1]).model_fields]
    model: Any = Config
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(part)
        model = model_of(field.annotation) if field else None
    return [k for k in getattr(model, "model_fields", {}) if k != "base_dir"]


def model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = model_of(arg)
        if found is not None:
            return found
    return None
