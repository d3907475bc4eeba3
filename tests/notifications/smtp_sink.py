"""A local SMTP sink (aiosmtpd) for tests and benchmarks: counts what it received.

`Sink` runs an aiosmtpd server in a thread of this process on a free port of 127.0.0.1:

    with Sink() as sink:
        ...send to ("127.0.0.1", sink.port)...
        sink.wait_for(10)
        assert sink.counts["someone@example.org"] == 1

A message counts once the server has it: after the final "." of its DATA. A connection
that drops before the final "." leaves nothing behind, as on a real server.

What it can be told to do (attributes, changeable while it runs):
- `refuse(reply, stage="data", recipients=None, times=None)`: answer RCPT ("rcpt") or the
  end of DATA ("data") with `reply` (e.g. "451 4.3.0 Try later", "550 5.1.1 No such
  user"), for every recipient or only those named, `times` times or for good;
- `delay`: seconds to wait before answering the end of DATA (a slow server; the message
  counts before the wait, as a server that has the final "." delivers it);
- `drop(stage)`: close the connection without answering: at RCPT ("rcpt", before the
  message) or at the end of DATA ("data": the server keeps the message, the client never
  hears so);
- `stall(stage, after=n)`: hold the message that comes after the first `n` at RCPT
  ("rcpt": the client waits before sending it) or at the end of DATA ("data": the server
  has it, the client waits for the answer) until `release()`; `stalled` is set meanwhile
  (a test kills a client at a known point this way); `pause()`: hold every message at
  RCPT until `release()`;
- `events`: what happened, in order ("MAIL", sender), ("RCPT", recipient), ("DATA",
  recipients); tests may append their own markers to compare the order.

`SinkProcess` runs the same sink in a child process (the benchmark: the sink then does
not share an interpreter with the senders being measured) and answers over a pipe.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
# aiosmtpd logs every command at INFO: thousands of lines per run.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd reads commands one line at a time from a buffered stream, so it serves
        # pipelined commands as they come; it only does not say so. Saying so (as Postfix,
        # Exim and the hosted services do) lets clients send MAIL, RCPT and DATA at once.
        session.host_name = hostname
        if self.sink.pipelining:
            responses = [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.sink.events.append(("MAIL", address))
        self.sink.peers.add(session.peer)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sink = self.sink
        sink.events.append(("RCPT", address))
        await sink._hold("rcpt", sink.total)
        if sink._take_drop("rcpt"):
            server.transport.abort()
            return "421 4.3.0 Gone"  # never reaches the client
        reply = sink._take_refusal("rcpt", [address])
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        recipients = [address.lower() for address in envelope.rcpt_tos]
        reply = sink._take_refusal("data", recipients)
        if reply:
            sink.events.append(("REFUSED", tuple(recipients)))
            return reply
        # Kept before any wait: a server that has the whole message and its final "."
        # delivers it even when the client goes away before the answer.
        sink._receive(recipients, envelope.content)
        if sink.delay:
            await asyncio.sleep(sink.delay)
        await sink._hold("data", sink.total - 1)
        if sink._take_drop("data"):
            server.transport.abort()
            return "421 4.3.0 Gone"  # never reaches the client
        return "250 OK"


class Sink:
    def __init__(self, *, keep=True, port=None, pipelining=True):
        self.keep = keep  # keep each message's bytes (tests); off for large runs
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920) in the EHLO answer
        self.port = port or free_port()
        self.counts = Counter()  # recipient (lowercase) -> messages received
        self.messages = []  # (recipients, bytes) when `keep`
        self.events = []
        self.peers = set()  # (host, port) of every client connection that sent MAIL
        self.delay = 0.0
        self.refusals = []  # [stage, reply, recipients or None, times left or None]
        self.drops = []  # [stage, times left or None]
        self._total = 0
        self._changed = threading.Condition()
        self._controller = None
        self._stall = None  # (stage, after)
        self._paused = False
        self.stalled = threading.Event()
        self._released = threading.Event()

    @property
    def connections(self):
        return len(self.peers)

    # -- running ------------------------------------------------------------------

    def start(self):
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def stop(self):
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- what it was told ---------------------------------------------------------

    def refuse(self, reply, *, stage="data", recipients=None, times=None):
        wanted = {address.lower() for address in recipients} if recipients else None
        self.refusals.append([stage, reply, wanted, times])

    def drop(self, stage="data", *, times=1):
        self.drops.append([stage, times])

    def stall(self, stage, *, after):
        self._released.clear()
        self.stalled.clear()
        self._stall = (stage, after)

    def pause(self):
        """Hold every message at RCPT from now on, until `release()`: once every
        connection waits there, a client killed is nowhere between its mark and its
        final "." (see delivery.py), so a kill test measures recovery, not that window."""
        self._released.clear()
        self._paused = True

    def release(self):
        self._stall = None
        self._paused = False
        self._released.set()

    async def _hold(self, stage, before):
        """Hold the message that has `before` messages ahead of it, if told so.

        Once that message is held, every other connection that reaches the same stage is
        held too, until `release`: so a client sending on several connections at once
        ends up with each one parked at a known point, none of them in between.
        """
        if self._paused and stage == "rcpt":
            while not self._released.is_set():
                await asyncio.sleep(0.01)
            return
        rule = self._stall
        if rule is None or rule[0] != stage:
            return
        if not self.stalled.is_set():
            if before < rule[1]:
                return
            self.stalled.set()  # from now on everyone at this stage waits, until release
        while not self._released.is_set():
            await asyncio.sleep(0.01)

    def settle(self, quiet=0.5, timeout=20):
        """Wait until no message has arrived for `quiet` seconds (the held ones are parked)."""
        deadline = time.monotonic() + timeout
        last, since = self.total, time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > deadline:
                raise TimeoutError(f"messages still arriving after {timeout}s")
            time.sleep(0.02)
            if self.total != last:
                last, since = self.total, time.monotonic()

    def reset(self):
        with self._changed:
            self.counts.clear()
            self.messages.clear()
            self.events.clear()
            self.refusals.clear()
            self.drops.clear()
            self.delay = 0.0
            self._total = 0

    def _take_refusal(self, stage, recipients):
        for rule in self.refusals:
            rule_stage, reply, wanted, times = rule
            if rule_stage != stage or times == 0:
                continue
            if wanted is not None and not wanted.intersection(a.lower() for a in recipients):
                continue
            if times is not None:
                rule[3] = times - 1
            return reply
        return None

    def _take_drop(self, stage):
        for rule in self.drops:
            if rule[0] == stage and rule[1] != 0:
                if rule[1] is not None:
                    rule[1] -= 1
                return True
        return False

    def _receive(self, recipients, content):
        with self._changed:
            self.counts.update(recipients)
            if self.keep:
                self.messages.append((recipients, content))
            self.events.append(("DATA", tuple(recipients)))
            self._total += 1
            self._changed.notify_all()

    # -- reading ------------------------------------------------------------------

    @property
    def total(self):
        return self._total

    def wait_for(self, total, timeout=30.0):
        """Wait until `total` messages arrived; returns the count at the end (maybe less)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._total < total:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return self._total

    def parsed(self):
        """The kept messages as `email.message.Message` objects, in arrival order."""
        return [message_from_bytes(content) for _, content in self.messages]

    def duplicates(self):
        """Recipients that received more than one message, with their counts."""
        return {address: n for address, n in self.counts.items() if n > 1}


# --- The sink in a child process ------------------------------------------------------


def _serve(port, pipe):
    sink = Sink(keep=False, port=port).start()
    pipe.send(("ready", sink.port))
    try:
        while True:
            command = pipe.recv()
            if command == "total":
                pipe.send(sink.total)
            elif command == "counts":
                pipe.send(dict(sink.counts))
            elif command == "reset":
                sink.reset()
                pipe.send(True)
            elif command == "stop":
                break
    except EOFError:
        pass
    finally:
        sink.stop()
        with contextlib.suppress(OSError):
            pipe.send("stopped")


class SinkProcess:
    """The sink in a child process (spawned: nothing of the parent's state comes along)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self._pipe = None
        self.process = None
        self._lock = threading.Lock()

    def start(self, timeout=20):
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(self.port, child), daemon=True)
        self.process.start()
        if not self._pipe.poll(timeout):
            raise RuntimeError("the SMTP sink process did not start")
        _, self.port = self._pipe.recv()
        return self

    def _ask(self, command):
        with self._lock:
            self._pipe.send(command)
            return self._pipe.recv()

    @property
    def total(self):
        return self._ask("total")

    def counts(self):
        return Counter(self._ask("counts"))

    def reset(self):
        return self._ask("reset")

    def stop(self):
        if self.process is None:
            return
        with contextlib.suppress(OSError, EOFError):
            self._ask("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


KIND = "agreement"  # the kind of the ledger rows the tests and the benchmark create
