"""The ``[web]`` section of the configuration: the staff console (``opco-watch serve``).

It lives in the core because the emails need two of its settings (the public address of the
console and how long one-click links stay valid); the web app itself is ``watcher/web``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from watcher.config_types import empty_list

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class WebConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    host: str = Field(
        "127.0.0.1",
        description="Address the console listens on; anything but 127.0.0.1 needs an admin "
        "account first (opco-watch users add EMAIL --role admin).",
    )
    port: int = Field(8000, ge=1, le=65535, description="Port of the console.")
    public_url: str = Field(
        "",
        description="Address of the console as users reach it, for the links in emails "
        "(e.g. https://veille.example.org); empty = where `opco-watch serve` last listened "
        "(http://HOST:PORT before it ever ran).",
    )
    root_path: str = Field(
        "", description="Path prefix when a reverse proxy serves the console under a sub-path."
    )
    trusted_proxies: list[str] = Field(
        default_factory=empty_list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
        "believed; empty = none.",
    )
    serve_with_run: bool = Field(
        False, description="`opco-watch run` also serves the console, in the same process."
    )
    session_days: int = Field(14, ge=1, le=365, description="Days a login stays valid.")
    link_days: int = Field(
        14, ge=1, le=90, description="Days the one-click links of an alert email stay valid."
    )
    upload_max_mb: float = Field(
        10.0, gt=0, le=100, description="Largest document accepted by an upload to the vault."
    )
    upload_types: list[str] = Field(
        default_factory=lambda: [".pdf", ".docx", ".odt", ".xlsx", ".png", ".jpg", ".jpeg"],
        description="File extensions accepted by an upload to the vault.",
    )

    @field_validator("public_url", "root_path")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("root_path")
    @classmethod
    def _rooted(cls, value: str) -> str:
        if value and not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @field_validator("upload_types")
    @classmethod
    def _dotted(cls, values: list[str]) -> list[str]:
        return [v.lower() if v.startswith(".") else f".{v.lower()}" for v in values]

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK

    @property
    def base_url(self) -> str:
        """Where users reach the console: ``public_url``, else this host and port."""
        return self.public_url or self.listen_url

    @property
    def listen_url(self) -> str:
        """The console's own address: this host and port (``public_url`` aside)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.root_path}"
