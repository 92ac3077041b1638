"""``python -m mockweb MODULE:FUNCTION [--port N]``: serve a mock web by hand until Ctrl-C.

``FUNCTION`` returns the resources (a mapping of URL to :class:`~mockweb.server.Resource`) or an
object with a ``resources`` attribute, such as ``tests.webs:build_test_web``. Point a client at
the printed proxy URL, e.g. ``curl -x http://127.0.0.1:8899 http://portal.test/blogs-experts``;
for https sites, give it the printed CA certificate (``curl --cacert PATH``, or Chromium's
``--ignore-certificate-errors``). ``--latency 0.25`` delays every answer by a quarter second.
"""

from __future__ import annotations

import argparse
import importlib
import threading
from collections.abc import Mapping

from mockweb.server import MockWeb, Resource


def _load_resources(target: str) -> Mapping[str, Resource]:
    module_name, sep, function_name = target.partition(":")
    if not sep or not module_name or not function_name:
        raise SystemExit(f"expected MODULE:FUNCTION, got {target!r}")
    built = getattr(importlib.import_module(module_name), function_name)()
    return built if isinstance(built, Mapping) else built.resources


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mockweb", description=__doc__.splitlines()[0])
    parser.add_argument("target", help="MODULE:FUNCTION returning the resources to serve")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args(argv)
    resources = _load_resources(args.target)
    with MockWeb(resources, port=args.port, latency=args.latency) as web:
        hosts = sorted({url.split("/")[2] for url in resources})
        print(f"{len(resources)} resources on {len(hosts)} hosts, proxy at {web.proxy_url}")
        print(f"https CA certificate: {web.ca_cert_path}")
        print(f"try: curl -x {web.proxy_url} {next(iter(resources))}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
