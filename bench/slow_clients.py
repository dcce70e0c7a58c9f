#!/usr/bin/python3
"""Slow clients: latency of /healthz and of a results read while hundreds of
connections send their request heads one byte at a time.

    bench/slow_clients.py [--binary build/outbreak] [--slow 300] [--quiet-seconds 10]
                          [--attack-seconds 30] [--byte-every 2.0]

Starts `outbreak serve` on 127.0.0.1 (any free port, a throwaway SQLite
database, one in-process worker), runs one small simulation to have results
to read, then measures in two phases, each for a fixed time:

  quiet:  only the measured traffic;
  attack: plus SLOW connections from 127.0.0.2 to 127.0.0.6 (spread evenly,
          opened 5 ms apart),
          each sending "GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n" and then one
          header byte every BYTE_EVERY seconds; a connection the server closes
          (408 after its head deadline) is opened again at once.

Measured traffic: two threads in turn, each a fresh connection per request:
GET /healthz and GET /api/v1/simulations/{id}/results. A request counts as
an error when it fails or takes longer than 5 s. Prints p50, p99 and max
(milliseconds) and the error count per phase and route, and how many slow
connections the server closed. Loopback only; at most SLOW + 2 connections
and QUIET + ATTACK seconds of traffic. Python standard library only.
"""

import argparse
import http.client
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT_S = 5.0


def start_server(binary, folder):
    log = open(os.path.join(folder, "serve.log"), "w")
    process = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--database",
         f"sqlite://{folder}/bench.db", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=log, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("OUTBREAK_")})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            # Keep draining stdout so the server never blocks on it.
            threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
            return process, int(match.group(1))
    process.kill()
    sys.exit("slow_clients: the server did not start; see " + folder + "/serve.log")


def request(port, method, target, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def finished_job(port):
    status, body = request(port, "POST", "/api/v1/simulations", json.dumps(
        {"name": "bench", "scenario": {"population": 20000, "days": 120, "seed": 7}}))
    if status != 201:
        sys.exit(f"slow_clients: submission failed ({status}): {body!r}")
    job = json.loads(body)["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, body = request(port, "GET", f"/api/v1/simulations/{job}")
        if json.loads(body)["status"] == "succeeded":
            return job
        time.sleep(0.1)
    sys.exit("slow_clients: the simulation did not finish in 120 s")


class Recorder:
    """Latencies (ms) and errors per (phase, route), shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = {}
        self.errors = {}
        self.kinds = {}
        self.phase = "quiet"

    def add(self, route, started, ok, kind=""):
        elapsed_ms = (time.monotonic() - started) * 1000
        with self.lock:
            key = (self.phase, route)
            if ok and elapsed_ms <= TIMEOUT_S * 1000:
                self.samples.setdefault(key, []).append(elapsed_ms)
            else:
                self.errors[key] = self.errors.get(key, 0) + 1
                kind = kind or ("slower than 5 s" if ok else "bad status")
                self.kinds[kind] = self.kinds.get(kind, 0) + 1


def measure(port, route, target, recorder, stop):
    while not stop.is_set():
        started = time.monotonic()
        try:
            status, _ = request(port, "GET", target)
            recorder.add(route, started, status == 200, "" if status == 200 else f"status {status}")
        except (OSError, http.client.HTTPException) as error:
            recorder.add(route, started, False, f"{type(error).__name__}: {error}")


def slow_clients(port, count, byte_every, stop, closed):
    """One thread keeps `count` slow connections open, sending a byte to each
    every `byte_every` seconds, reopening any the server closes."""
    selector = selectors.DefaultSelector()
    sources = [f"127.0.0.{2 + i % 5}" for i in range(count)]

    def open_one(index):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((sources[index], 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
        return sock

    # Opened 5 ms apart: a burst would overflow a small listen backlog (5 in
    # cpp-httplib's own accept loop) and measure SYN retries instead.
    sockets = []
    for index in range(count):
        sockets.append(open_one(index))
        time.sleep(0.005)
    next_byte = time.monotonic() + byte_every
    while not stop.is_set():
        for key, _ in selector.select(timeout=0.05):
            sock, index = key.fileobj, key.data
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1.1 "):
                status = data[9:12].decode()
                closed[1][status] = closed[1].get(status, 0) + 1
            if not data:  # closed by the server: reopen
                selector.unregister(sock)
                sock.close()
                closed[0] += 1
                sockets[index] = open_one(index)
        if time.monotonic() >= next_byte:
            for sock in sockets:
                try:
                    sock.send(b"s")
                except OSError:
                    pass
            next_byte += byte_every
    for sock in sockets:
        sock.close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "outbreak"))
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--quiet-seconds", type=float, default=10)
    parser.add_argument("--attack-seconds", type=float, default=30)
    parser.add_argument("--byte-every", type=float, default=2.0)
    args = parser.parse_args()
    if not 0 <= args.slow <= 1000 or args.quiet_seconds + args.attack_seconds > 300:
        sys.exit("slow_clients: at most 1000 slow clients and 300 s in all")

    folder = tempfile.mkdtemp(prefix="outbreak-slow-clients-")
    server, port = start_server(args.binary, folder)
    try:
        job = finished_job(port)
        recorder = Recorder()
        stop_measuring, stop_slow = threading.Event(), threading.Event()
        measurers = [
            threading.Thread(target=measure, args=(port, "healthz", "/healthz", recorder,
                                                   stop_measuring)),
            threading.Thread(target=measure, args=(
                port, "results", f"/api/v1/simulations/{job}/results", recorder,
                stop_measuring)),
        ]
        for thread in measurers:
            thread.start()
        time.sleep(args.quiet_seconds)
        closed = [0, {}]
        slow = threading.Thread(target=slow_clients,
                                args=(port, args.slow, args.byte_every, stop_slow, closed))
        slow.start()
        with recorder.lock:
            recorder.phase = "attack"
        time.sleep(args.attack_seconds)
        stop_measuring.set()
        for thread in measurers:
            thread.join()
        stop_slow.set()
        slow.join()

        print(f"slow clients: {args.slow}, one byte every {args.byte_every} s; "
              f"closed by the server and reopened: {closed[0]}; their responses: "
              f"{', '.join(f'{n} x {status}' for status, n in sorted(closed[1].items()))}")
        print(f"{'phase':<7} {'route':<8} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8} {'errors':>6}")
        for phase in ("quiet", "attack"):
            for route in ("healthz", "results"):
                values = recorder.samples.get((phase, route), [])
                errors = recorder.errors.get((phase, route), 0)
                if values:
                    print(f"{phase:<7} {route:<8} {len(values):>8} "
                          f"{percentile(values, 0.50):>8.2f} {percentile(values, 0.99):>8.2f} "
                          f"{max(values):>8.2f} {errors:>6}")
                else:
                    print(f"{phase:<7} {route:<8} {0:>8} {'-':>8} {'-':>8} {'-':>8} {errors:>6}")
        for kind, count in sorted(recorder.kinds.items()):
            print(f"error: {count} x {kind}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
