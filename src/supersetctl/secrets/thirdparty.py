"""detect-secrets' pattern plugins, used as a library for the token shapes we do not own.

Only plugins that match a distinctive token shape are used: the entropy and keyword plugins
cry wolf on placeholders and hashes, and our own rules replace the Slack, GitHub, JWT, private
key and basic-auth ones.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from collections.abc import Iterator
from typing import Any

from supersetctl.secrets.placeholders import is_placeholder
from supersetctl.secrets.rules import Hit

log = logging.getLogger(__name__)
_FAKE = re.compile(r"[xX]{8,}|(?i:example)")  # documented shapes: ACxxxxxxxx..., ...EXAMPLE

_PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("aws", "AWSKeyDetector", "SEC-AWS-KEY"),
    ("azure_storage_key", "AzureStorageKeyDetector", "SEC-CLOUD-TOKEN"),
    ("gitlab_token", "GitLabTokenDetector", "SEC-CLOUD-TOKEN"),
    ("mailchimp", "MailchimpDetector", "SEC-CLOUD-TOKEN"),
    ("npm", "NpmDetector", "SEC-CLOUD-TOKEN"),
    ("openai", "OpenAIDetector", "SEC-CLOUD-TOKEN"),
    ("pypi_token", "PypiTokenDetector", "SEC-CLOUD-TOKEN"),
    ("sendgrid", "SendGridDetector", "SEC-CLOUD-TOKEN"),
    ("square_oauth", "SquareOAuthDetector", "SEC-CLOUD-TOKEN"),
    ("stripe", "StripeDetector", "SEC-CLOUD-TOKEN"),
    ("telegram_token", "TelegramBotTokenDetector", "SEC-CLOUD-TOKEN"),
    ("twilio", "TwilioKeyDetector", "SEC-CLOUD-TOKEN"),
    ("discord", "DiscordBotTokenDetector", "SEC-CLOUD-TOKEN"),
)


@functools.cache
def plugins() -> tuple[tuple[Any, str, str], ...]:
    """(plugin instance, our rule id, its description), loaded once."""
    loaded = []
    for module, cls, rule in _PLUGINS:
        try:
            plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)()
        except (ImportError, AttributeError) as exc:  # a newer detect-secrets renamed it
            log.warning("detect-secrets plugin %s.%s unavailable: %s", module, cls, exc)
            continue
        loaded.append((plugin, rule, str(plugin.secret_type)))
    return tuple(loaded)


@functools.cache
def prefilter() -> re.Pattern[str] | None:
    """Every plugin pattern in one regex: a text it does not match has no plugin hit."""
    parts = []
    for plugin, _rule, _kind in plugins():
        for pattern in plugin.denylist:
            flags = "i" if pattern.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error as exc:  # a pattern that cannot be combined: scan line by line
        log.debug("detect-secrets patterns not combinable: %s", exc)
        return None


def may_match(text: str) -> bool:
    """Whether any plugin could match somewhere in ``text`` (cheap: one regex search)."""
    combined = prefilter()
    return combined is None or combined.search(text) is not None


def scan_line(i: int, line: str) -> Iterator[tuple[Hit, str]]:
    """Hits of the detect-secrets plugins on one line, each with the plugin's secret type."""
    for plugin, rule, kind in plugins():
        for value in plugin.analyze_string(line):
            value = str(value)
            if not value or is_placeholder(value) or _FAKE.search(value):
                continue
            if rule == "SEC-AWS-KEY" and not (
                re.search(r"\d", value) and re.search("[A-Z]", value)
            ):
                continue  # real AWS keys mix digits in; runs of capitals alone are data
            start = line.find(value)
            if start < 0:
                continue
            yield Hit(rule, i, start, start + len(value), value), kind
