"""Keying options a caller may set, validated with messages that name the bad field."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from service.errors import BadRequest

OUTPUT_CONTENT_TYPES = {"webm": "video/webm", "mov": "video/quicktime"}
_HEX_COLOR = re.compile(r"^#?[0-9a-fA-F]{6}$")


class KeyOptions(BaseModel):
    """What a job may ask of the keying engine; every field is optional.

    Example:
        >>> KeyOptions.model_validate({"format": "mov", "strength": 0.7}).format
        'mov'
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    format: Literal["webm", "mov"] = "webm"
    key_color: str | None = Field(
        default=None,
        alias="keyColor",
        description="Screen colour as #RRGGBB; detected from the footage when omitted.",
    )
    strength: float = Field(
        default=0.5, ge=0.0, le=1.0, description="0 keeps more of the subject, 1 removes more screen."
    )
    despill: float = Field(default=1.0, ge=0.0, le=1.0, description="0 off, 1 full spill removal.")
    edge_softness: float = Field(default=0.5, ge=0.0, le=1.0, alias="edgeSoftness", description="0 hard edges, 1 soft.")

    @field_validator("strength", "despill", "edge_softness", mode="before")
    @classmethod
    def _accept_integers(cls, value: object) -> object:
        # Strict mode rejects 1 for a float field; JSON clients often send 0 or 1.
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @field_validator("key_color")
    @classmethod
    def _hex_color(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _HEX_COLOR.match(value):
            raise ValueError("must be a colour like '#2fa84f' (6 hex digits)")
        return "#" + value.lstrip("#").lower()

    def to_public(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One sentence per problem, each naming the field, e.g. ``options.strength: ...``."""
    messages = []
    for error in exc.errors():
        location = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
        text = error["msg"]
        if error["type"] == "extra_forbidden":
            text = "unknown field"
        messages.append(f"{location or 'body'}: {text}")
    return "; ".join(messages)


def parse_key_options(raw: object, prefix: str = "options") -> KeyOptions:
    """Validate ``raw`` (a dict from JSON) into :class:`KeyOptions` or raise :class:`BadRequest`."""
    if raw is None:
        return KeyOptions()
    if not isinstance(raw, dict):
        raise BadRequest(f"{prefix}: must be a JSON object", code="invalid_field")
    try:
        return KeyOptions.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(describe_validation_error(exc, prefix), code="invalid_field") from None
