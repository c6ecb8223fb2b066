"""Settings as frozen, typed groups, read and validated once from the settings mapping
(gateway/config.py: defaults → TOML → GATEWAY_*). A value that does not read as its kind stops
the start with a message naming it; secrets are never part of a repr."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gateway.auth.passwords import HashCost
from gateway.auth.throttle import ThrottlePolicy
from gateway.config import SettingError
from gateway.domain.credentials import UPSTREAMS
from gateway.domain.erp_changes import Pair, parse_pair
from gateway.xml_guard import XmlLimits

T = TypeVar("T")


@dataclass(frozen=True)
class AzureClient:
    """One upstream's Azure AD app registration: its client id and secret."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class UpstreamSettings:
    inventory_url: str
    inventory_wsdl: str
    inventory_scope: str
    workorders_url: str
    workorders_scope: str
    plant_timezone: str
    connect_timeout: float
    read_timeout: float
    retry_attempts: int
    retry_max_wait: float
    breaker_fail_max: int
    breaker_reset_seconds: float
    max_answer_bytes: int
    xml_max_depth: int
    azure_authority: str
    azure_ca_bundle: str | None
    token_refresh_margin: float
    """Seconds before expiry at which an upstream token is replaced (decision 151)."""
    clients: Mapping[str, AzureClient] = field(repr=False)
    """Per upstream: its own registration (<UPSTREAM>_CLIENT_ID/SECRET), else AZURE_*."""

    @property
    def scopes(self) -> Mapping[str, str]:
        """Per upstream (as UPSTREAMS names them): the token scope it is called with."""
        return {"inventory": self.inventory_scope, "workorders": self.workorders_scope}


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    audience: str
    jwks_url: str
    ca_bundle: str | None
    owner_claim: str
    leeway_seconds: int
    token_cache_size: int
    """Validated tokens kept for reuse until their exp (decision 151); 0: none."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = field(repr=False)  # may carry a password
    auto_migrate: bool
    plan_lease: timedelta
    lock_wait: timedelta


@dataclass(frozen=True)
class ReservationSettings:
    overrides_allowed: bool
    workorder_warehouses: Mapping[str, str]
    split_warehouse_order: tuple[str, ...] = ()
    """Warehouses an anyWarehouse create tries first, in this order; the rest by id."""


@dataclass(frozen=True)
class SoapSettings:
    """The SOAP endpoint for legacy systems: what one call may be, and how logins are checked."""

    public_url: str | None
    """Where callers reach the gateway (the served WSDL's address); None: the bind address."""
    max_body_bytes: int
    xml_limits: XmlLimits
    token_max_age: timedelta
    verified_password_cache_seconds: float
    login_throttle: ThrottlePolicy
    rate_limit_url: str | None = field(repr=False)  # may carry a password
    """Redis for the failed-login counts; None: the gateway's database."""


@dataclass(frozen=True)
class CredentialSettings:
    """Master keys, credential rotation and legacy passwords (SPEC §5.5)."""

    master_keys: tuple[str, ...] = field(repr=False)
    master_key_file: str | None
    check_seconds: float
    report_seconds: float
    wait_seconds: float
    legacy_password_grace: timedelta
    seed_replace: bool
    """True (the demo): store the settings' Azure credential whenever it differs."""
    password_hashing: HashCost


@dataclass(frozen=True)
class BackgroundSettings:
    """How often each process runs the work it does on its own (gateway/background.py)."""

    expiry_sweep_seconds: float
    outbox_drain_seconds: float
    plan_recovery_seconds: float
    erp_changes_seconds: float = 0.0
    """The ERP change detector's interval (decision 161); 0: it does not run."""
    erp_changes_watch: frozenset[Pair] = frozenset()
    """Item/warehouse pairs it reads besides those in the gateway's own events."""
    backorder_fill_seconds: float = 5.0
    """The backorder filler's interval (decision 170)."""


@dataclass(frozen=True)
class BrokerSettings:
    """Where reservation events are published besides webhooks (issue 14.2); None: not."""

    amqp_url: str | None = field(repr=False)  # may carry a password
    amqp_exchange: str
    mqtt_url: str | None = field(repr=False)  # may carry a password
    mqtt_topic_prefix: str


@dataclass(frozen=True)
class WebhookSettings:
    """Webhook subscriptions: where deliveries may go, how they are sent and retried
    (docs/decisions/160-webhook-deliveries.md)."""

    allowed_hosts: tuple[str, ...]
    allowed_networks: tuple[str, ...]
    allowed_ports: tuple[int, ...] | None
    """None: any port (WEBHOOK_ALLOWED_PORTS = *)."""
    allow_loopback: bool
    connect_timeout: float
    read_timeout: float
    max_response_bytes: int
    retry_base: timedelta
    retry_cap: timedelta
    max_age: timedelta
    secret_grace: timedelta
    drain_seconds: float
    lease: timedelta
    ca_bundle: str | None
    max_subscriptions: int = 100
    """At most this many active subscriptions in all: each one is a drainer's turn per pass."""


@dataclass(frozen=True)
class Settings:
    upstream: UpstreamSettings
    auth: AuthSettings
    database: DatabaseSettings
    reservations: ReservationSettings
    soap: SoapSettings
    credentials: CredentialSettings
    background: BackgroundSettings
    brokers: BrokerSettings
    max_request_bytes: int
    webhooks: WebhookSettings

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        read = _Reader(values)
        return cls(
            upstream=_upstream(read),
            auth=_auth(read),
            soap=_soap(read),
            credentials=_credentials(read),
            background=BackgroundSettings(
                expiry_sweep_seconds=read.number("EXPIRY_SWEEP_SECONDS"),
                outbox_drain_seconds=read.number("OUTBOX_DRAIN_SECONDS"),
                plan_recovery_seconds=read.number("PLAN_RECOVERY_SECONDS"),
                erp_changes_seconds=read.number("ERP_CHANGES_SECONDS"),
                erp_changes_watch=read.pairs("ERP_CHANGES_WATCH"),
                backorder_fill_seconds=read.number("BACKORDER_FILL_SECONDS"),
            ),
            brokers=BrokerSettings(
                amqp_url=read.broker_url("AMQP_URL"),
                amqp_exchange=read.text("AMQP_EXCHANGE"),
                mqtt_url=read.broker_url("MQTT_URL"),
                mqtt_topic_prefix=read.text("MQTT_TOPIC_PREFIX").strip("/"),
            ),
            max_request_bytes=read.integer("MAX_CONTENT_LENGTH"),
            webhooks=_webhooks(read),
            database=DatabaseSettings(
                url=read.text("DATABASE_URL"),
                auto_migrate=read.flag("DATABASE_AUTO_MIGRATE"),
                plan_lease=timedelta(seconds=read.number("PLAN_LEASE_SECONDS")),
                lock_wait=timedelta(seconds=read.number("WORKORDER_LOCK_WAIT_SECONDS")),
            ),
            reservations=ReservationSettings(
                overrides_allowed=read.flag("RESERVATION_OVERRIDE_ALLOWED"),
                workorder_warehouses=read.table("WORKORDER_WAREHOUSES"),
                split_warehouse_order=read.words("SPLIT_WAREHOUSE_ORDER"),
            ),
        )


def azure_clients(values: Mapping[str, Any]) -> dict[str, AzureClient]:
    """The one place the per-upstream credential falls back to AZURE_CLIENT_ID/SECRET."""
    read = _Reader(values)
    return {
        name: AzureClient(
            read.optional(f"{name.upper()}_CLIENT_ID") or read.text("AZURE_CLIENT_ID"),
            read.optional(f"{name.upper()}_CLIENT_SECRET")
            or (read.optional("AZURE_CLIENT_SECRET") or ""),
        )
        for name in UPSTREAMS
    }


def _webhooks(read: _Reader) -> WebhookSettings:
    def seconds(name: str) -> timedelta:
        return timedelta(seconds=read.number(name))

    return WebhookSettings(
        allowed_hosts=read.words("WEBHOOK_ALLOWED_HOSTS"),
        allowed_networks=read.words("WEBHOOK_ALLOWED_NETWORKS"),
        allowed_ports=_ports(read, "WEBHOOK_ALLOWED_PORTS"),
        allow_loopback=read.flag("WEBHOOK_ALLOW_LOOPBACK"),
        connect_timeout=read.number("WEBHOOK_CONNECT_TIMEOUT"),
        read_timeout=read.number("WEBHOOK_READ_TIMEOUT"),
        max_response_bytes=read.integer("WEBHOOK_MAX_RESPONSE_BYTES"),
        retry_base=seconds("WEBHOOK_RETRY_BASE_SECONDS"),
        retry_cap=seconds("WEBHOOK_RETRY_MAX_SECONDS"),
        max_age=seconds("WEBHOOK_MAX_AGE_SECONDS"),
        secret_grace=seconds("WEBHOOK_SECRET_GRACE_SECONDS"),
        drain_seconds=read.number("WEBHOOK_DRAIN_SECONDS"),
        lease=seconds("WEBHOOK_LEASE_SECONDS"),
        ca_bundle=read.optional("WEBHOOK_CA_BUNDLE"),
        max_subscriptions=read.integer("WEBHOOK_MAX_SUBSCRIPTIONS"),
    )


def _upstream(read: _Reader) -> UpstreamSettings:
    return UpstreamSettings(
        inventory_url=read.text("INVENTORY_URL"),
        inventory_wsdl=read.text("INVENTORY_WSDL"),
        inventory_scope=read.text("INVENTORY_SCOPE"),
        workorders_url=read.text("WORKORDERS_URL"),
        workorders_scope=read.text("WORKORDERS_SCOPE"),
        plant_timezone=read.text("PLANT_TIMEZONE"),
        connect_timeout=read.number("UPSTREAM_CONNECT_TIMEOUT"),
        read_timeout=read.number("UPSTREAM_READ_TIMEOUT"),
        retry_attempts=read.integer("UPSTREAM_RETRY_ATTEMPTS"),
        retry_max_wait=read.number("UPSTREAM_RETRY_MAX_WAIT"),
        breaker_fail_max=read.integer("BREAKER_FAIL_MAX"),
        breaker_reset_seconds=read.number("BREAKER_RESET_SECONDS"),
        max_answer_bytes=read.integer("UPSTREAM_MAX_ANSWER_BYTES"),
        xml_max_depth=read.integer("XML_MAX_DEPTH"),
        azure_authority=read.text("AZURE_AUTHORITY"),
        azure_ca_bundle=read.optional("AZURE_CA_BUNDLE"),
        token_refresh_margin=read.number("UPSTREAM_TOKEN_REFRESH_MARGIN_SECONDS"),
        clients=azure_clients(read.values),
    )


def _auth(read: _Reader) -> AuthSettings:
    issuer = read.text("AUTH_ISSUER")
    jwks = read.optional("AUTH_JWKS_URL") or f"{issuer.removesuffix('/v2.0')}/discovery/v2.0/keys"
    return AuthSettings(
        issuer=issuer,
        audience=read.text("AUTH_AUDIENCE"),
        jwks_url=jwks,
        ca_bundle=read.optional("AUTH_CA_BUNDLE"),
        owner_claim=read.text("AUTH_OWNER_CLAIM"),
        leeway_seconds=read.integer("AUTH_LEEWAY_SECONDS"),
        token_cache_size=read.integer("AUTH_TOKEN_CACHE_SIZE"),
    )


def _soap(read: _Reader) -> SoapSettings:
    return SoapSettings(
        public_url=read.optional("PUBLIC_URL"),
        max_body_bytes=read.integer("SOAP_MAX_BODY_BYTES"),
        xml_limits=XmlLimits(
            max_depth=read.integer("XML_MAX_DEPTH"),
            max_elements=read.integer("XML_MAX_ELEMENTS"),
            max_attributes_per_element=read.integer("XML_MAX_ATTRIBUTES_PER_ELEMENT"),
            max_attributes=read.integer("XML_MAX_ATTRIBUTES"),
            max_start_tag_bytes=read.integer("XML_MAX_START_TAG_BYTES"),
        ),
        token_max_age=timedelta(seconds=read.number("SOAP_TOKEN_MAX_AGE_SECONDS")),
        verified_password_cache_seconds=read.number("LEGACY_AUTH_CACHE_SECONDS"),
        login_throttle=ThrottlePolicy(
            client_failures=read.integer("LOGIN_MAX_FAILURES_PER_CLIENT"),
            address_failures=read.integer("LOGIN_MAX_FAILURES_PER_ADDRESS"),
            window_seconds=read.integer("LOGIN_FAILURE_WINDOW_SECONDS"),
        ),
        rate_limit_url=read.optional("RATE_LIMIT_URL"),
    )


def _ports(read: _Reader, name: str) -> tuple[int, ...] | None:
    words = read.words(name)
    if "*" in words:
        return None
    try:
        ports = tuple(int(word) for word in words)
    except ValueError:
        raise SettingError(f"{name} must be port numbers or *, not {words!r}") from None
    if not all(0 < port < 65536 for port in ports):
        raise SettingError(f"{name} must be port numbers from 1 to 65535")
    return ports


def _credentials(read: _Reader) -> CredentialSettings:
    return CredentialSettings(
        master_keys=read.words("MASTER_KEYS"),
        master_key_file=read.optional("MASTER_KEY_FILE"),
        check_seconds=read.number("CREDENTIAL_CHECK_SECONDS"),
        report_seconds=read.number("CREDENTIAL_REPORT_SECONDS"),
        wait_seconds=read.number("CREDENTIAL_WAIT_SECONDS"),
        legacy_password_grace=timedelta(seconds=read.number("LEGACY_PASSWORD_GRACE_SECONDS")),
        seed_replace=read.choice("CREDENTIALS_SEED", ("if-missing", "replace")) == "replace",
        password_hashing=HashCost(
            memory_kib=read.integer("ARGON2_MEMORY_KIB"),
            time_cost=read.integer("ARGON2_TIME_COST"),
            parallelism=read.integer("ARGON2_PARALLELISM"),
            max_concurrent=read.integer("ARGON2_MAX_CONCURRENT"),
            wait_seconds=read.number("ARGON2_WAIT_SECONDS"),
        ),
    )


@dataclass(frozen=True)
class _Reader:
    """Reads one setting as a kind, naming it when it does not read."""

    values: Mapping[str, Any]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        if value is None or value == "":
            raise SettingError(f"{name} is required")
        return str(value)

    def optional(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None or value == "" else str(value)

    def broker_url(self, name: str) -> str | None:
        """A URL with a host (and a port that is a number, if any); an error never shows it (a
        password in the place of a port was in urlsplit's error, at startup and in logs)."""
        value = self.optional(name)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            valid = bool(parts.hostname) and (parts.port is None or parts.port > 0)
        except ValueError:
            valid = False
        if not valid:
            raise SettingError(f"{name} must be a URL with a host and a numeric port, if any "
                               "(its value is not shown: it may carry a password)")  # fmt: skip
        return value

    def integer(self, name: str) -> int:
        return self._as(name, lambda v: v if isinstance(v, int) and not isinstance(v, bool)
                        else int(str(v)), "an integer")  # fmt: skip

    def number(self, name: str) -> float:
        return self._as(name, lambda v: float(v) if not isinstance(v, bool) else _no(v), "a number")

    def flag(self, name: str) -> bool:
        return self._as(name, _flag, "true or false")

    def table(self, name: str) -> Mapping[str, str]:
        value = self.values.get(name) or {}
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise SettingError(f"{name} must be a table of strings, not {value!r}")
        return {str(k): v for k, v in value.items()}

    def words(self, name: str) -> tuple[str, ...]:
        """A comma-separated text (or a list), as its non-empty words."""
        value = self.values.get(name)
        given = value.split(",") if isinstance(value, str) else list(value or [])
        return tuple(str(word).strip() for word in given if str(word).strip())

    def pairs(self, name: str) -> frozenset[Pair]:
        """Words ``ITEM@WAREHOUSE`` as item/warehouse pairs."""
        try:
            return frozenset(parse_pair(word) for word in self.words(name))
        except ValueError as error:
            raise SettingError(f"{name}: {error}") from None

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name)
        if value not in allowed:
            raise SettingError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        return value

    def _as(self, name: str, convert: Callable[[Any], T], kind: str) -> T:
        value = self.values.get(name)
        try:
            return convert(value)
        except (TypeError, ValueError):
            raise SettingError(f"{name}={value!r} is not {kind}") from None


def _no(value: Any) -> float:
    raise ValueError(f"{value!r}")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(lowered)
