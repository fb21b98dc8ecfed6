"""``greenscreen``: run the local stack, submit jobs to any deployment, or key a file directly."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import requests

DEFAULT_API = "http://127.0.0.1:8080"
POLL_INTERVAL_S = 1.0
HTTP_TIMEOUT_S = 30


def _progress_bar(status: dict) -> str:
    percent = int(status.get("progress") or 0)
    filled = percent * 30 // 100
    return f"\r[{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% {status['status']:<10}"


def _headers(api_key: str | None) -> dict[str, str]:
    return {"x-api-key": api_key} if api_key else {}


def upload_file(api: str, path: Path, api_key: str | None) -> str:
    """Upload a local file through POST /uploads; return the s3:// input URL to submit."""
    response = requests.post(
        f"{api}/uploads", json={"filename": path.name}, headers=_headers(api_key), timeout=HTTP_TIMEOUT_S
    )
    response.raise_for_status()
    target = response.json()
    with path.open("rb") as handle:
        put = requests.put(target["uploadUrl"], data=handle, headers=target["headers"], timeout=600)
    put.raise_for_status()
    return target["inputUrl"]


def wait_for_job(api: str, job_id: str, api_key: str | None, timeout_s: float = 3600) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        response = requests.get(f"{api}/status/{job_id}", headers=_headers(api_key), timeout=HTTP_TIMEOUT_S)
        response.raise_for_status()
        status = response.json()
        if sys.stderr.isatty():
            print(_progress_bar(status), end="", file=sys.stderr, flush=True)
        if status["status"] in {"DONE", "ERROR"} or time.monotonic() > deadline:
            if sys.stderr.isatty():
                print(file=sys.stderr)
            return status
        time.sleep(POLL_INTERVAL_S)


def download(url: str, destination: Path) -> None:
    with requests.get(url, stream=True, timeout=HTTP_TIMEOUT_S) as response:
        response.raise_for_status()
        with destination.open("wb") as handle:
            for chunk in response.iter_content(1024 * 1024):
                handle.write(chunk)


def _options(args: argparse.Namespace) -> dict:
    options = {"format": args.format} if args.format else {}
    for name, attr in (
        ("keyColor", "key_color"),
        ("strength", "strength"),
        ("despill", "despill"),
        ("edgeSoftness", "edge_softness"),
    ):
        if getattr(args, attr, None) is not None:
            options[name] = getattr(args, attr)
    return options


def cmd_submit(args: argparse.Namespace) -> int:
    api = args.api.rstrip("/")
    source = Path(args.input)
    input_url = upload_file(api, source, args.api_key) if source.exists() else args.input
    body = {"inputUrl": input_url}
    if options := _options(args):
        body["options"] = options
    response = requests.post(f"{api}/submit", json=body, headers=_headers(args.api_key), timeout=HTTP_TIMEOUT_S)
    if response.status_code != 202:
        print(f"submit refused ({response.status_code}): {response.text}", file=sys.stderr)
        return 2
    job_id = response.json()["jobId"]
    print(f"job {job_id} submitted", file=sys.stderr)
    if not (args.wait or args.out):
        print(job_id)
        return 0
    status = wait_for_job(api, job_id, args.api_key)
    if status["status"] != "DONE":
        print(f"job {job_id} {status['status']}: {status.get('error') or 'timed out waiting'}", file=sys.stderr)
        return 1
    out = Path(args.out or f"{job_id}.{status['options'].get('format', 'webm')}")
    download(status["outputUrl"], out)
    print(out)
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    from service.errors import BadRequest, JobFailed
    from service.keying import key_video, parse_key_options

    output_format = args.format or (
        Path(args.output).suffix.lstrip(".") if Path(args.output).suffix in {".webm", ".mov"} else "webm"
    )
    try:
        options = parse_key_options({**_options(args), "format": output_format})
    except BadRequest as exc:
        print(f"invalid option: {exc.message}", file=sys.stderr)
        return 2

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(_progress_bar({"progress": 100 * done // max(total, 1), "status": "KEYING"}), end="", file=sys.stderr)

    try:
        result = key_video(Path(args.input), Path(args.output), options, on_progress=show)
    except JobFailed as exc:
        print(f"\ncannot key {args.input}: {exc.reason}", file=sys.stderr)
        return 1
    print(f"\n{args.output}: {result.frames} frames, key colour {result.key_color}", file=sys.stderr)
    return 0


def _runtime(args: argparse.Namespace, port: int, host: str = "127.0.0.1"):
    from local.runtime import LocalOptions, LocalRuntime

    keys = (
        dict(reversed(item.split("=", 1)) for item in (args.api_key or [])) if getattr(args, "api_key", None) else None
    )
    return LocalRuntime(
        LocalOptions(
            port=port, host=host, endpoint=args.endpoint, workers=args.workers, api_keys=keys,
            auth_mode="api_key" if keys else "none", rate_limit_per_s=args.rate_limit,
        )
    )  # fmt: skip


def cmd_serve(args: argparse.Namespace) -> int:
    runtime = _runtime(args, args.port, args.host).start()
    where = "embedded moto server" if runtime.emulator.embedded else runtime.emulator.endpoint
    print(f"green-screen-remover listening on {runtime.base_url} (AWS: {where}); Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from local.samples import make_clip

    out_dir = Path(args.out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime = _runtime(args, 0).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            clip = make_clip(Path(tmp) / "green-screen-sample.mp4", width=640, height=360, seconds=3)
            sample = out_dir / "green-screen-sample.mp4"
            sample.write_bytes(clip.read_bytes())
        print(f"local stack on {runtime.base_url}; submitting {sample} through POST /uploads and /submit")
        args.api, args.input, args.wait, args.out, args.api_key = (
            runtime.base_url,
            str(sample),
            True,
            str(out_dir / "transparent.webm"),
            None,
        )
        args.format, args.key_color, args.strength, args.despill, args.edge_softness = "webm", None, None, None, None
        code = cmd_submit(args)
    finally:
        runtime.stop()
    if code == 0:
        print(f"done: the transparent video is {out_dir / 'transparent.webm'} (VP9 with alpha; open it in a browser)")
    return code


def cmd_worker(args: argparse.Namespace) -> int:
    """Only the SQS poller and worker, against an already bootstrapped endpoint (e.g. LocalStack)."""
    import os

    from local.emulator import point_process_at
    from local.poller import Poller
    from local.stack import REGION, bootstrap, handler_environment, stack_names
    from service import wiring
    from service.handlers import worker

    session = point_process_at(args.endpoint, REGION)
    resources = bootstrap(session, stack_names(), int(args.timeout))
    os.environ.update(handler_environment(resources, args.allow_fetch_from, allow_http=True))
    wiring.reset()
    poller = Poller(
        session.client("sqs"), resources.job_queue_url, worker.handler, region=REGION,
        workers=args.workers, function_timeout_s=args.timeout, retry_delay_s=args.retry_delay,
    )  # fmt: skip
    print(f"worker polling {resources.job_queue_url}", flush=True)
    poller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        poller.stop()
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from local.emulator import point_process_at
    from local.stack import REGION, bootstrap, stack_names
    from service.aws import clients
    from service.jobs import JobStore
    from service.reconcile import reconcile

    session = point_process_at(args.endpoint, REGION)
    resources = bootstrap(session, stack_names())
    jobs = JobStore(clients().dynamodb, resources.names.jobs_table)
    report = reconcile(jobs, clients().sqs, resources.dead_letter_queue_url, args.stale_after)
    print(json.dumps(report.as_dict(), indent=2))
    return 0


def _add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["webm", "mov"], help="output format (default webm)")
    parser.add_argument("--key-color", help="screen colour as #RRGGBB (default: detected)")
    parser.add_argument("--strength", type=float, help="0..1, higher removes more screen (default 0.5)")
    parser.add_argument("--despill", type=float, help="0..1 spill removal (default 1)")
    parser.add_argument("--edge-softness", type=float, help="0..1 edge softness (default 0.5)")


def _add_stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", help="AWS endpoint (LocalStack); default: embedded moto server")
    parser.add_argument("--workers", type=int, default=1, help="parallel worker threads (default 1)")
    parser.add_argument("--api-key", action="append", metavar="NAME=KEY", help="require x-api-key (repeatable)")
    parser.add_argument("--rate-limit", type=float, help="requests per second per client")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenscreen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the shim, worker and AWS emulator")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 in a container)")
    _add_stack_options(serve)
    serve.set_defaults(func=cmd_serve)

    submit = sub.add_parser("submit", help="submit a local file or URL to the API")
    submit.add_argument("input", metavar="FILE_OR_URL")
    submit.add_argument("--api", default=DEFAULT_API, help=f"API base URL (default {DEFAULT_API})")
    submit.add_argument("--api-key", help="x-api-key header value")
    submit.add_argument("--wait", action="store_true", help="poll until the job finishes")
    submit.add_argument("--out", help="where to save the result (implies --wait)")
    _add_key_options(submit)
    submit.set_defaults(func=cmd_submit)

    key = sub.add_parser("key", help="key a local file, no AWS involved")
    key.add_argument("input")
    key.add_argument("output")
    _add_key_options(key)
    key.set_defaults(func=cmd_key)

    demo = sub.add_parser("demo", help="start the stack, push a sample clip through the API")
    demo.add_argument("--out-dir", default="demo-output")
    _add_stack_options(demo)
    demo.set_defaults(func=cmd_demo)

    work = sub.add_parser("worker", help="run only the queue poller and worker against an endpoint")
    work.add_argument("--endpoint", required=True, help="the local stack's AWS endpoint")
    work.add_argument("--workers", type=int, default=1)
    work.add_argument("--timeout", type=float, default=300, help="the stand-in Lambda timeout in seconds")
    work.add_argument("--retry-delay", type=int, default=2, help="seconds before a failed message is retried")
    work.add_argument("--allow-fetch-from", default="127.0.0.0/8", help="networks inputs may come from (local only)")
    work.set_defaults(func=cmd_worker)

    rec = sub.add_parser("reconcile", help="end stuck and dead-lettered jobs in ERROR")
    rec.add_argument("--endpoint", required=True, help="the local stack's AWS endpoint")
    rec.add_argument("--stale-after", type=float, default=6 * 3600, help="seconds before a job counts as stuck")
    rec.set_defaults(func=cmd_reconcile)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
