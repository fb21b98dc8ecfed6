"""The whole local stack in one object: emulator, resources, worker poller and HTTP shim."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, make_server

from local.emulator import Emulator, free_port, point_process_at, start_emulator
from local.poller import Poller
from local.shim import RateLimiter, create_app
from local.stack import REGION, StackResources, bootstrap, handler_environment, stack_names
from service import config, wiring
from service.handlers import worker


@dataclass
class LocalOptions:
    port: int = 0
    host: str = "127.0.0.1"
    endpoint: str | None = None
    workers: int = 1
    batch_size: int = 1
    worker_timeout_s: float = 300
    retry_delay_s: int = 2
    # The local stack may fetch from these networks (e.g. a loopback test server), over http too.
    fetch_allowed_networks: str = "127.0.0.0/8"
    allow_http: bool = True
    api_keys: dict[str, str] | None = None
    rate_limit_per_s: float | None = None
    rate_limit_burst: int = 20
    auth_mode: str = "none"
    extra_env: dict[str, str] = field(default_factory=dict)


class LocalRuntime:
    """Start with :meth:`start`, stop with :meth:`stop`; ``base_url`` is the API's address."""

    def __init__(self, options: LocalOptions | None = None) -> None:
        self.options = options or LocalOptions()
        self.emulator: Emulator | None = None
        self.resources: StackResources | None = None
        self.poller: Poller | None = None
        self._server: BaseWSGIServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self.session = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local stack is not started")
        return f"http://{self.options.host}:{self._server.server_port}"

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def start(self) -> LocalRuntime:
        opts = self.options
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
        self.emulator = start_emulator(opts.endpoint)
        self._saved_env.update({k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION")})
        self.session = point_process_at(self.emulator.endpoint, REGION)
        self.resources = bootstrap(self.session, stack_names(), int(opts.worker_timeout_s))
        self._set_env(
            {
                **handler_environment(self.resources, opts.fetch_allowed_networks, opts.allow_http),
                config.ENV_AUTH_MODE: opts.auth_mode,
                **opts.extra_env,
            }
        )
        wiring.reset()
        if opts.workers > 0:
            self.start_worker()
        self.start_api()
        return self

    def start_worker(self, workers: int | None = None) -> Poller:
        opts = self.options
        self.poller = Poller(
            self.session.client("sqs"),
            self.resources.job_queue_url,
            worker.handler,
            region=REGION,
            batch_size=opts.batch_size,
            workers=workers or opts.workers or 1,
            function_timeout_s=opts.worker_timeout_s,
            retry_delay_s=opts.retry_delay_s,
        )
        self.poller.start()
        return self.poller

    def stop_worker(self) -> None:
        if self.poller:
            self.poller.stop()
            self.poller = None

    def start_api(self) -> None:
        opts = self.options
        limiter = RateLimiter(opts.rate_limit_per_s, opts.rate_limit_burst) if opts.rate_limit_per_s else None
        app = create_app(api_keys=opts.api_keys, rate_limiter=limiter)
        self._server = make_server(opts.host, opts.port or free_port(), app, threaded=True)
        threading.Thread(target=self._server.serve_forever, name="shim", daemon=True).start()

    def stop(self) -> None:
        self.stop_worker()
        if self._server:
            self._server.shutdown()
            self._server = None
        if self.emulator:
            self.emulator.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        wiring.reset()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
