"""POST /uploads: a presigned PUT URL into the input bucket and the s3:// URI to submit."""

from __future__ import annotations

from service import config
from service.api import parse_upload
from service.http import handle, json_body, json_response
from service.wiring import services

ENVIRONMENT = frozenset({config.ENV_INPUT_BUCKET, config.ENV_UPLOAD_URL_TTL_S})

# PutObject is what the presigned upload URL is signed for.
IAM_ACTIONS = frozenset({"s3:PutObject"})


def _uploads(event: dict) -> dict:
    deps = services()
    deps.settings.require("input_bucket")
    filename, content_type = parse_upload(json_body(event, required=False))
    ttl_s = deps.settings.upload_url_ttl_s
    url, input_url = deps.storage.upload_target(filename, content_type, ttl_s)
    return json_response(
        201,
        {
            "uploadUrl": url,
            "method": "PUT",
            "headers": {"Content-Type": content_type},
            "inputUrl": input_url,
            "expiresIn": ttl_s,
        },
    )


def handler(event: dict, context: object = None) -> dict:
    return handle(event, _uploads)
