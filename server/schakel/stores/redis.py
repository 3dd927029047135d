"""The Redis store: stateless hubs sharing boards in Redis (standalone, replicated or Cluster).

Key layout (``docs/redis.md`` has the full picture). Every key of one board carries the
hash tag ``{b:<board>}``, so each script touches a single slot and the store runs on Redis
Cluster unchanged::

    schakel:{b:<board>}:state    hash  "<id>\\x00<field>" -> packed op (the register winner)
    schakel:{b:<board>}:types    hash  "<id>" -> type of the object
    schakel:{b:<board>}:seq      string, the board's head sequence number
    schakel:{b:<board>}:log      stream, one entry per stored batch: id "<last seq>-0",
                                 fields n (op count) and o (the packed ops, concatenated)
    schakel:{b:<board>}:meta     hash: bytes (of the registers), o:<id> (bytes of one
                                 object), clock (highest counter), logbytes, v (version)
    schakel:{b:<board>}:gone     string, set when the workshop is deleted (no content)
    schakel:{b:<board>}:ch       pub/sub channel (not a key): updates and presence
    schakel:{w:<workshop>}:ev    pub/sub channel (not a key): the workshop's events
    schakel:{w:<workshop>}:ws    string, the packed workshop record
    schakel:{w:<workshop>}:boards  set of the workshop's boards that hold data
    schakel:{w:<workshop>}:history list of packed snapshots of the figures, one per part
    schakel:{c:<join code>}:code string, the workshop id of a join code
    schakel:secret               string, the token-signing secret shared by all hubs
    schakel:workshops            sorted set, workshop id -> expiry: the live workshops

The merge runs in one Lua script per batch (:data:`APPLY_LUA`): it checks the whole batch
(type conflicts, a clock reused for another value, a counter jumping too far, the board's
limits, a workshop that ended or was deleted), merges the winners into ``state``, numbers
them with ``seq``, appends them to ``log``, trims the log to ``LOG_KEEP`` ops and
``LOG_KEEP_BYTES`` (the ``state`` hash is the always-current snapshot a late joiner reads
in one call) and publishes the entry on the board's channel. The hub calls
:meth:`RedisStore.apply` once per tick; all scripts of a tick go out in one pipeline,
followed, with ``wait_replicas``, by ``WAIT`` on the same connection.

Feed: each hub subscribes to the channels of the boards its clients follow (and reads no
other board). A message carries its entry's sequence number; the feed hands the hub ops
without gaps: what does not follow what the hub has (a notification lost in an outage, or
ops of other hubs numbered before this hub's own new ones) is read from the log instead,
as after every (re)subscription and every ``CATCHUP_S``. Presence uses the same channels
and is never stored. Ops travel as the bytes the hub handed over: the script stores, logs
and publishes them, and the feed splits an entry into its ops' bytes without decoding.
Workshop events (a change, a deletion) go on each workshop's own channel, followed while
the hub has connections of the workshop; the hub hears when that subscription starts or
stops (it keeps no workshop record while it may miss events).

Connections: every call to Redis leases one connection of a bounded pool
(:class:`~schakel.stores.redis_pool.ConnectionGate`, ``pool_size`` of them, across every
node of a cluster) and waits up to ``pool_timeout_s`` for a free one; the feed holds one
more, its pub/sub connection. Failures are sorted into outages (``StoreUnavailable``,
which clients retry) and everything else (raised as it is), and counted in
:attr:`RedisStore.failures` (see :mod:`schakel.stores.failures`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgpack
from redis import exceptions as rexc
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from schakel_core import codec
from schakel_core.errors import (
    Conflict,
    InvalidOp,
    NotFound,
    RequestError,
    StoreUnavailable,
    TooLarge,
)
from schakel_core.workshop import Workshop

from . import failures
from .base import (
    Applied,
    Batch,
    BoardLimits,
    EventListener,
    LiveListener,
    Loaded,
    PresenceListener,
    Staged,
    StoredOps,
    UpdateListener,
    durable_now,
    workshop_of,
)
from .redis_layout import (
    APPLY_LUA,
    CAS_LUA,
    LIVE_KEY,
    LOAD_LUA,
    SECRET_KEY,
    board_channel,
    board_gone_key,
    board_keys,
    join_code_key,
    workshop_boards_key,
    workshop_channel,
    workshop_history_key,
    workshop_key,
)
from .redis_pool import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S, ConnectionGate, PoolTimeout

T = TypeVar("T")

logger = logging.getLogger(__name__)

LOG_KEEP = 5000  # ops kept in a board's log for resume; older subscribers get the state
LOG_KEEP_BYTES = 1024 * 1024  # and at most this many bytes of them
CATCHUP_S = 1.0  # how often the feed checks watched boards for missed notifications
FEED_RETRY_MAX_S = 1.0  # the longest pause between two attempts to reconnect the feed
UNAVAILABLE = "store unavailable, retrying"
_REFUSED: dict[int, type[RequestError]] = {-1: Conflict, -2: NotFound, -3: TooLarge, -4: InvalidOp}

# Errors that mean "Redis cannot be reached or cannot serve now": the caller may retry.
_OUTAGES: tuple[type[BaseException], ...] = (
    rexc.ConnectionError,  # includes BusyLoadingError (Redis loading its AOF)
    rexc.TimeoutError,
    rexc.ClusterError,  # ClusterDownError, MasterDownError
    rexc.SlotNotCoveredError,  # a cluster in the middle of a failover
    rexc.TryAgainError,
    rexc.ReadOnlyError,  # a replica promoted late, or a failover in progress
    rexc.OutOfMemoryError,  # maxmemory reached: no write can be stored
    OSError,
)
# Replies by which a reachable Redis says it cannot serve now: a script running too
# long, writes stopped after a failed snapshot, too few replicas for min-replicas.
_OUTAGE_REPLIES = ("BUSY ", "MISCONF ", "NOREPLICAS ")


def is_outage(exc: BaseException) -> bool:
    """True if ``exc`` says Redis is away or cannot serve now (so a retry may work).

    Pool exhaustion is not an outage: redis-py raises ``MaxConnectionsError`` (a
    ``ConnectionError``) when its pool is at its cap, with Redis perfectly healthy.
    """
    if isinstance(exc, rexc.MaxConnectionsError):
        return False
    if isinstance(exc, _OUTAGES):
        return True
    return isinstance(exc, rexc.ResponseError) and str(exc).startswith(_OUTAGE_REPLIES)


def split_ops(blob: bytes) -> list[bytes]:
    """The concatenated packed ops of a log entry as the bytes of each op: the values
    are skipped over, not decoded."""
    unpacker = msgpack.Unpacker()
    unpacker.feed(blob)
    out: list[bytes] = []
    start, end = 0, len(blob)
    while start < end:
        unpacker.skip()
        stop = unpacker.tell()
        out.append(blob[start:stop])
        start = stop
    return out


class _Script:
    """A Lua script run by EVALSHA, falling back to EVAL when Redis lost its cache."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


_APPLY = _Script(APPLY_LUA)
_FIRST_OP = 9  # the index of the first op among the merge script's arguments
_LOAD = _Script(LOAD_LUA)
_CAS = _Script(CAS_LUA)


class RedisStore:
    """Store implementation shared by any number of hubs through one Redis deployment.

    ``url`` is a redis:// (or rediss://) URL of a standalone Redis, a primary, or any node
    of a Redis Cluster (detected at :meth:`start`).
    """

    kind = "redis"

    def __init__(
        self,
        url: str,
        *,
        retention_s: float = 72 * 3600,
        log_keep: int = LOG_KEEP,
        log_keep_bytes: int = LOG_KEEP_BYTES,
        pool_size: int = DEFAULT_POOL_SIZE,
        pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
        limits: BoardLimits | None = None,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
    ) -> None:
        self.log_keep = log_keep
        self.log_keep_bytes = log_keep_bytes
        self.limits = limits or BoardLimits()
        # Acknowledge a tick's batches only once this many replicas have them (WAIT).
        self.wait_replicas = wait_replicas
        self.wait_timeout_ms = wait_timeout_ms
        self.pool = ConnectionGate(pool_size, pool_timeout_s)
        self.failures = failures.Failures(logger)  # of calls (what clients hear)
        self.feed_failures = failures.Failures(logger, what="redis feed")  # of the feed
        self.round_trips = 0  # calls to Redis (a pipeline counts once)
        self._url = url
        self._retention_s = retention_s
        self._redis: Redis | RedisCluster | None = None
        self.cluster = False
        self._sub_urls: list[str] = [url]
        self._origin = secrets.token_hex(4)
        self._on_update: UpdateListener = lambda board, seq, ops: None
        self._on_presence: PresenceListener = lambda board, frame: None
        self._on_event: EventListener = lambda workshop_id, event: None
        self._on_live: LiveListener = lambda workshop_id, live: None
        # watched boards: the highest seq known to have reached the hub, None until the
        # hub's first load of the board (updates before it would reach an empty room)
        self._watched: dict[str, int | None] = {}
        self._channels: dict[bytes, str] = {}
        self._confirmed: set[str] = set()  # boards whose channel subscription is live
        self._event_channels: dict[bytes, str] = {}  # followed workshops' events
        self._events_live: set[str] = set()  # workshops whose event subscription is live
        self._catchup: set[str] = set()  # boards to check soon
        self._feed_task: asyncio.Task[None] | None = None
        self._deadlines: dict[str, float] = {}  # workshop id -> expiry (epoch seconds)
        self._indexed: set[str] = set()  # boards already listed in their workshop's set
        self._rewrite_aof = False  # a deletion happened: the AOF must be rewritten
        self._ended: set[str] = set()  # workshops past their deadline, seen by expire()
        self._closing = False

    # ------------------------------------------------------------- lifecycle

    def _client_options(self) -> dict[str, Any]:
        return {
            "max_connections": self.pool.size,  # per node; the gate bounds the total
            "decode_responses": False,
            "socket_timeout": 5.0,
            "socket_connect_timeout": 2.0,
            "health_check_interval": 10,
        }

    async def start(self) -> None:
        probe = Redis.from_url(self._url, **self._client_options())
        try:
            async with self._errors():
                info = await probe.info("cluster")
        finally:
            await probe.aclose()
        self.cluster = bool(info.get("cluster_enabled"))
        if self.cluster:
            cluster = RedisCluster.from_url(self._url, **self._client_options())
            try:
                async with self._errors():
                    await cluster.initialize()
            except BaseException:
                await cluster.aclose()
                raise
            parts = urlsplit(self._url)
            self._sub_urls = [
                parts._replace(netloc=_netloc(parts.netloc, n.host, int(n.port))).geturl()
                for n in cluster.get_nodes()
            ]
            self._redis = cluster
        else:
            self._redis = Redis.from_url(
                self._url,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.02), 3),
                retry_on_error=[rexc.ConnectionError, rexc.TimeoutError],
                **self._client_options(),
            )
            await self.ping()
        if self.cluster and self.wait_replicas:
            await self.close()
            raise ValueError(
                "SCHAKEL_REDIS_WAIT_REPLICAS needs a single Redis primary with replicas; "
                "on a cluster the hub cannot WAIT on the connection that wrote"
            )
        async with self._call() as r:
            # (on every master of a cluster) so that a storm of first calls does not
            # meet NOSCRIPT and send the scripts whole, each of them
            for script in (_APPLY, _LOAD, _CAS):
                await r.script_load(script.source)
        await self._describe_durability()
        self._feed_task = asyncio.create_task(self._feed(), name="schakel-redis-feed")
        logger.info(
            "redis store at %s (%s)", _safe_url(self._url), "cluster" if self.cluster else "single"
        )

    async def close(self) -> None:
        self._closing = True
        task, self._feed_task = self._feed_task, None
        while task is not None and not task.done():
            # redis-py can swallow a cancellation that lands inside its connect or read;
            # cancel again until the feed has really stopped
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
        if task is not None and not task.cancelled() and task.exception() is not None:
            logger.warning("the redis feed had stopped", exc_info=task.exception())
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def ping(self) -> None:
        async with self._call() as r:
            await r.ping()

    async def _describe_durability(self) -> None:
        """Say in the log what an acknowledgement means with this Redis (docs/redis.md,
        Durability): it depends on its persistence settings."""
        try:
            async with self._call() as r:
                conf = await r.config_get("appendonly")
                conf |= await r.config_get("appendfsync")
                conf |= await r.config_get("save")
        except (rexc.ResponseError, StoreUnavailable) as exc:  # CONFIG may be disabled
            logger.info("redis persistence unknown (%s): see docs/redis.md, Durability", exc)
            return
        value = {_text(k): _text(v) for k, v in conf.items()}
        aof, fsync, save = value.get("appendonly"), value.get("appendfsync"), value.get("save")
        waits = f", and {self.wait_replicas} replica(s) (WAIT)" if self.wait_replicas else ""
        if aof == "yes" and fsync == "always":
            logger.info("acks mean: on disk in Redis's AOF (appendfsync always)%s", waits)
        elif aof == "yes":
            logger.info(
                "acks mean: in Redis's AOF, fsynced within a second (appendfsync %s): "
                "a power loss may lose the last second of acknowledged ops%s",
                fsync,
                waits,
            )
        else:
            logger.warning(
                "Redis has no AOF (appendonly no, save %r): acknowledged ops since the last "
                "snapshot are lost if Redis stops%s; see docs/redis.md, Durability",
                save,
                waits,
            )

    @property
    def _r(self) -> Redis | RedisCluster:
        if self._redis is None:
            raise StoreUnavailable("the redis store is not open")
        return self._redis

    @contextlib.asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        """Turn Redis being away into StoreUnavailable, which clients retry; count every
        failure (anything else is raised as it is: it is not an outage)."""
        try:
            yield
        except PoolTimeout as exc:
            self.failures.record(failures.POOL_TIMEOUT, exc)
            raise StoreUnavailable(UNAVAILABLE) from exc
        except (rexc.RedisError, rexc.RedisClusterException, OSError) as exc:
            if not is_outage(exc):
                self.failures.record(failures.ERROR, exc)
                raise
            self.failures.record(failures.UNAVAILABLE, exc)
            raise StoreUnavailable(UNAVAILABLE) from exc

    @contextlib.asynccontextmanager
    async def _call(self) -> AsyncIterator[Redis | RedisCluster]:
        """The client, for one call to Redis, once the pool has a connection free.

        The block holds at most one connection at a time (commands one after another,
        or one pipeline)."""
        async with self._errors(), self.pool.lease():
            self.round_trips += 1
            yield self._r

    async def _command(self, command: tuple[Any, ...]) -> Any:
        """One command on its own connection (the cluster runs several side by side)."""
        async with self.pool.lease():
            return await self._r.execute_command(*command)

    async def _commands(
        self, commands: Sequence[tuple[Any, ...]], *, raise_on_error: bool = True
    ) -> list[Any]:
        """Send commands together: one pipeline on a single Redis; on a cluster (whose
        pipelines refuse scripts and PUBLISH) side by side, one round trip in all, each on
        a connection of the pool."""
        async with self._errors():
            self.round_trips += 1
            if self.cluster:
                results: list[Any] = list(
                    await asyncio.gather(
                        *(self._command(c) for c in commands), return_exceptions=True
                    )
                )
            else:
                async with self.pool.lease():
                    pipe = self._r.pipeline(transaction=False)
                    for c in commands:
                        pipe.execute_command(*c)
                    results = await pipe.execute(raise_on_error=False)
            for r in results:
                if not isinstance(r, BaseException):
                    continue
                if raise_on_error or isinstance(r, PoolTimeout) or is_outage(r):
                    raise r
        return results

    async def _scripts(
        self, calls: Sequence[tuple[_Script, list[str], list[Any]]], *, wait: bool = False
    ) -> list[Any]:
        """Run scripts in one pipeline (each call atomic); EVAL the ones Redis forgot.

        ``wait`` (with ``wait_replicas``): the pipeline ends with ``WAIT``, on the same
        connection, so that it returns once that many replicas have every write of it;
        fewer in time is an outage (the writes may be lost on a failover)."""
        if not calls:
            return []
        wait = wait and self.wait_replicas > 0
        tail: list[tuple[Any, ...]] = [("WAIT", self.wait_replicas, self.wait_timeout_ms)]
        commands: list[tuple[Any, ...]] = [("EVALSHA", s.sha, len(k), *k, *a) for s, k, a in calls]
        results = await self._commands(commands + (tail if wait else []), raise_on_error=False)
        replicas = results.pop() if wait else None
        missing = [i for i, r in enumerate(results) if isinstance(r, rexc.NoScriptError)]
        if missing:  # Redis restarted or failed over: send those scripts whole
            again = [
                ("EVAL", calls[i][0].source, len(calls[i][1]), *calls[i][1], *calls[i][2])
                for i in missing
            ]
            redone = await self._commands(again + (tail if wait else []), raise_on_error=False)
            replicas = redone.pop() if wait else replicas
            for i, r in zip(missing, redone, strict=True):
                results[i] = r
        for r in results:
            if isinstance(r, BaseException):
                self.failures.record(failures.ERROR, r)
                raise r
        if wait and (not isinstance(replicas, int) or replicas < self.wait_replicas):
            exc = rexc.TimeoutError(
                f"{replicas} of {self.wait_replicas} replicas confirmed within "
                f"{self.wait_timeout_ms} ms"
            )
            self.failures.record(failures.UNAVAILABLE, exc)
            raise StoreUnavailable(UNAVAILABLE) from exc
        return results

    # ---------------------------------------------------------------- boards

    def _expire_at_ms(self, board: str) -> int:
        deadline = self._deadlines.get(workshop_of(board))
        if deadline is None:
            deadline = time.time() + self._retention_s
        return int(deadline * 1000)

    async def stage(self, batches: Sequence[Batch]) -> Staged:
        """The Lua script merges, numbers and stores in one step: what it returns is
        durable as far as Redis makes it (its ``appendfsync``), so a stage is
        :meth:`apply`."""
        return durable_now(await self.apply(batches))

    async def apply(self, batches: Sequence[Batch]) -> list[Applied]:
        calls: list[tuple[_Script, list[str], list[Any]]] = []
        lim = self.limits
        for batch in batches:
            args: list[Any] = [
                self._expire_at_ms(batch.board),
                board_channel(batch.board),
                self._origin,
                self.log_keep,
                self.log_keep_bytes,
                "" if batch.seen is None else batch.seen,
                lim.objects,
                lim.state_bytes,
                lim.object_bytes,
            ]
            args += batch.packed_ops()  # as they arrived: Lua decodes them to merge
            keys = [*board_keys(batch.board), board_gone_key(batch.board)]
            calls.append((_APPLY, keys, args))
        results = await self._scripts(calls, wait=True)
        # (before the feed bookkeeping below: nothing may await between it and the return,
        # or the feed could hand the hub ops that follow ones it has not yet delivered)
        await self._index([b.board for b, r in zip(batches, results, strict=True) if r[0] > 0])
        out: list[Applied] = []
        heads: dict[str, int] = {}  # per watched board: the seq this call brought it to
        gaps: set[str] = set()
        for (_, _, args), batch, res in zip(calls, batches, results, strict=True):
            if res[0] < 0:
                reason = res[1].decode() if isinstance(res[1], bytes) else str(res[1])
                error = _REFUSED[int(res[0])](reason, board=batch.board)
                out.append(Applied(batch.board, int(res[2]), error=error))
                continue
            seq = int(res[0])
            stored = [batch.ops[int(i) - 1] for i in res[1:]]
            packed = [args[_FIRST_OP + int(i) - 1] for i in res[1:]]
            out.append(Applied(batch.board, seq, stored, packed=packed))
            seen = heads.get(batch.board, self._watched.get(batch.board))
            if stored and seen is not None:
                if seq - len(stored) > seen:
                    gaps.add(batch.board)
                heads[batch.board] = seq
        if gaps:
            # Another hub stored ops in between that this hub has not been fed yet: feed
            # them first, so that the hub can deliver its own ops without a gap.
            await self._catch_up(sorted(gaps))
        for board, seq in heads.items():
            seen = self._watched.get(board)
            if seen is not None and seq > seen:
                self._watched[board] = seq
        return out

    async def _index(self, boards: list[str]) -> None:
        """List new boards in their workshop's set, so that deleting it finds them all."""
        new = {b for b in boards if b not in self._indexed}
        if not new:
            return
        try:
            commands: list[tuple[Any, ...]] = []
            for board in new:
                key = workshop_boards_key(workshop_of(board))
                commands.append(("SADD", key, board))
                commands.append(("PEXPIREAT", key, self._expire_at_ms(board)))
            await self._commands(commands)
        except StoreUnavailable:
            return  # the ops are stored; listing them is retried with the next batch
        self._indexed |= new

    async def load(self, board: str, since: int) -> Loaded:
        keys = board_keys(board)
        (res,) = await self._scripts(
            [(_LOAD, [keys[0], keys[2], keys[3], keys[4]], [since, self.log_keep])]
        )
        seq, clock, full = int(res[0]), int(res[1]), bool(res[2])
        known = clock if clock >= 0 else None
        if full:  # the registers as Redis keeps them: forwarded, decoded only if read
            loaded = Loaded(seq, True, wire=[_b(raw) for raw in res[3:]], clock=known)
        else:  # the log's bytes, split into ops (not decoded)
            wire: list[bytes] = []
            for i in range(3, len(res), 2):
                last, entry = int(res[i]), split_ops(_b(res[i + 1]))
                first = last - len(entry) + 1
                wire.extend(entry[max(0, since + 1 - first) :])
            loaded = Loaded(seq, False, wire=wire, clock=known)
        if board in self._watched and self._watched[board] is None:
            self._watched[board] = seq  # the room starts from here: feed it from now on
            self._catchup.add(board)
        return loaded

    async def delete_board(self, board: str) -> None:
        async with self._call() as r:
            await r.delete(*board_keys(board))

    # ------------------------------------------------------------- workshops

    def _note(self, ws: Workshop) -> float:
        deadline = ws.created + self._retention_s
        self._deadlines[ws.id] = deadline
        return deadline

    async def create_workshop(self, workshop: Workshop) -> None:
        deadline_ms = int(self._note(workshop) * 1000)
        data = codec.pack(workshop.to_dict())
        async with self._call() as r:
            code_key = join_code_key(workshop.join_code)
            if not await r.set(code_key, workshop.id, nx=True, pxat=deadline_ms):
                raise Conflict("workshop id or join code already taken; try again")
            if not await r.set(workshop_key(workshop.id), data, nx=True, pxat=deadline_ms):
                await r.delete(code_key)
                raise Conflict("workshop id or join code already taken; try again")
            await r.zadd(LIVE_KEY, {workshop.id: deadline_ms / 1000})
            # The set lasts as long as its longest-lived workshop, and no longer.
            await r.pexpireat(LIVE_KEY, deadline_ms, gt=True)
            await r.pexpireat(LIVE_KEY, deadline_ms, nx=True)

    async def count_workshops(self) -> int:
        now = time.time()
        _, count = await self._commands(
            [("ZREMRANGEBYSCORE", LIVE_KEY, "-inf", now), ("ZCARD", LIVE_KEY)]
        )
        return int(count)

    async def _read_workshop(self, workshop_id: str) -> tuple[bytes, Workshop] | None:
        async with self._call() as r:
            raw = await r.get(workshop_key(workshop_id))
        if raw is None:
            return None
        raw = _b(raw)
        ws = Workshop.from_dict(codec.unpack(raw))
        self._note(ws)
        return raw, ws

    async def get_workshop(self, workshop_id: str) -> Workshop | None:
        got = await self._read_workshop(workshop_id)
        return None if got is None else got[1]

    async def find_join_code(self, code: str) -> str | None:
        async with self._call() as r:
            wid = await r.get(join_code_key(code))
        return None if wid is None else _b(wid).decode()

    async def update_workshop(self, workshop_id: str, change: Callable[[Workshop], T]) -> T:
        while True:
            got = await self._read_workshop(workshop_id)
            if got is None:
                raise NotFound(f"no workshop {workshop_id!r}")
            raw, ws = got
            result = change(ws)
            new = codec.pack(ws.to_dict())
            (ok,) = await self._scripts([(_CAS, [workshop_key(workshop_id)], [raw, new])])
            if ok:
                return result
            # another hub changed it meanwhile: read again and redo the change

    async def delete_workshop(self, workshop_id: str) -> None:
        got = await self._read_workshop(workshop_id)
        async with self._call() as r:
            boards = {_b(b).decode() for b in await r.smembers(workshop_boards_key(workshop_id))}
            if got is not None:
                boards.update(got[1].boards())
        deadline = self._deadlines.get(workshop_id, time.time() + self._retention_s)
        # Each board is marked gone in the same step (its own slot), so that a batch still
        # in flight, on this hub or another, is refused instead of bringing it back.
        commands: list[tuple[Any, ...]] = []
        for b in sorted(boards):
            commands.append(("SET", board_gone_key(b), 1, "PXAT", int(deadline * 1000)))
            commands.append(("DEL", *board_keys(b)))
        if got is not None:
            commands.append(("DEL", join_code_key(got[1].join_code)))
        commands.append(("DEL", workshop_boards_key(workshop_id)))
        commands.append(("DEL", workshop_history_key(workshop_id)))
        commands.append(("DEL", workshop_key(workshop_id)))
        commands.append(("ZREM", LIVE_KEY, workshop_id))
        await self._commands(commands)
        self._deadlines.pop(workshop_id, None)
        self._indexed -= boards
        self._rewrite_aof = True
        await self._rewrite()

    async def expire(self) -> list[str]:
        """Redis expires every key itself (each carries its workshop's deadline), and the
        merge refuses a board whose workshop's deadline has passed. What is left to do is
        the AOF: the workshops this hub knew that have ended since are rewritten out of
        it (the commands that wrote them stay in it until a rewrite)."""
        now = time.time()
        ended = [w for w, d in self._deadlines.items() if d < now and w not in self._ended]
        self._ended.update(ended)
        # A deadline is kept a day past it: the merge refuses a batch of such a workshop
        # still in flight by it (without it, it would take "now + retention").
        for wid in [w for w, d in self._deadlines.items() if d < now - 86400]:
            del self._deadlines[wid]
            self._ended.discard(wid)
        if ended:
            await self._drop_expired(ended)
            self._rewrite_aof = True
            await self._rewrite()
        return ended

    async def _drop_expired(self, workshops: list[str]) -> None:
        """Make Redis drop the keys of ended workshops now. A key past its deadline leaves
        memory only when touched or sampled later, and an AOF rewrite before that would
        write its content into the new base file; scanning a key drops it if expired."""
        patterns = [p for w in workshops for p in (f"schakel:{{b:{w}:*", f"schakel:{{w:{w}}}:*")]
        async with self._call() as r:
            for pattern in patterns:
                async for _ in r.scan_iter(match=pattern, count=1000):
                    pass  # (a key that is still there is not expired: nothing to do)

    async def _rewrite(self) -> None:
        """Rewrite the AOF (on every master) after a deletion: until then it still holds
        the commands that wrote the deleted content. One already running may have
        started before the deletion, so it is asked again until Redis takes it."""
        if not self._rewrite_aof:
            return
        try:
            async with self._call() as r:
                if isinstance(r, RedisCluster):
                    targets: list[dict[str, Any]] = [
                        {"target_nodes": node} for node in r.get_primaries()
                    ]
                else:
                    targets = [{}]
                for target in targets:
                    info = await r.execute_command("INFO", "persistence", **target)
                    if not info.get("aof_enabled"):
                        continue
                    if info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled"):
                        return  # asked again by housekeep, once this one has ended
                    await r.execute_command("BGREWRITEAOF", **target)
        except (StoreUnavailable, rexc.ResponseError) as exc:
            logger.warning("the AOF rewrite after a deletion is not started yet: %s", exc)
            return
        self._rewrite_aof = False

    def boards_in_memory(self) -> int:
        return 0  # Redis holds them; a hub keeps only what it is sending

    async def housekeep(self, now: float | None = None) -> int:
        """Ask again for an AOF rewrite a deletion needs, and forget the boards nobody
        here follows (the per-board maps of a hub must not grow for its life; workshops
        past their deadline go in :meth:`expire`)."""
        await self._rewrite()
        self._indexed &= set(self._watched)
        return 0

    async def add_history(self, workshop_id: str, entry: bytes) -> None:
        got = await self._read_workshop(workshop_id)
        if got is None:
            raise NotFound(f"no workshop {workshop_id!r}")
        key = workshop_history_key(workshop_id)
        deadline_ms = int(self._note(got[1]) * 1000)
        await self._commands([("RPUSH", key, entry), ("PEXPIREAT", key, deadline_ms)])

    async def history(self, workshop_id: str) -> list[bytes]:
        async with self._call() as r:
            items = await r.lrange(workshop_history_key(workshop_id), 0, -1)
        return [_b(i) for i in items]

    async def shared_secret(self, make: Callable[[], str]) -> str:
        async with self._call() as r:
            await r.set(SECRET_KEY, make(), nx=True)
            value = await r.get(SECRET_KEY)
        assert value is not None
        return _b(value).decode()

    # ---------------------------------------------------------- cross-hub

    def listen(self, on_update: UpdateListener, on_presence: PresenceListener) -> None:
        self._on_update, self._on_presence = on_update, on_presence

    def listen_events(self, on_event: EventListener, on_live: LiveListener) -> None:
        self._on_event, self._on_live = on_event, on_live

    def watch_workshop(self, workshop_id: str) -> None:
        self._event_channels[workshop_channel(workshop_id).encode()] = workshop_id

    def unwatch_workshop(self, workshop_id: str) -> None:
        self._event_channels.pop(workshop_channel(workshop_id).encode(), None)
        self._events_live.discard(workshop_id)

    def watch(self, board: str) -> None:
        self._watched[board] = None
        self._channels[board_channel(board).encode()] = board

    def unwatch(self, board: str) -> None:
        self._watched.pop(board, None)
        self._channels.pop(board_channel(board).encode(), None)
        self._catchup.discard(board)

    async def publish_presence(self, frames: Sequence[tuple[str, bytes]]) -> None:
        """Presence is ephemeral: when Redis is away it is dropped, not retried."""
        head = b"p|" + self._origin.encode() + b"|"
        try:
            await self._commands(
                [("PUBLISH", board_channel(board), head + frame) for board, frame in frames]
            )
        except StoreUnavailable:
            logger.debug("presence of %d boards dropped: redis unavailable", len(frames))

    async def publish_event(self, workshop_id: str, event: bytes) -> None:
        """Dropped when Redis is away: every hub's feed of the workshop is down then too,
        and each rereads the record when its feed is back."""
        head = b"e|" + self._origin.encode() + b"|"
        try:
            await self._commands([("PUBLISH", workshop_channel(workshop_id), head + event)])
        except StoreUnavailable:
            logger.debug("event of workshop %s dropped: redis unavailable", workshop_id)

    # ---------------------------------------------------------------- feed

    async def _feed(self) -> None:
        """Follow the watched boards' channels; reconnect and catch up after outages."""
        attempt = 0
        while not self._closing:
            url = self._sub_urls[attempt % len(self._sub_urls)]
            client = Redis.from_url(url, **self._client_options())
            pubsub = client.pubsub()
            began = time.monotonic()
            try:
                await self._follow(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the feed must outlive any outage, and any fault
                # Heard, not flooded: at WARNING, once per interval per kind (counted);
                # a fault that is not an outage with its traceback.
                outage = isinstance(exc, PoolTimeout | OSError) or is_outage(exc)
                kind = failures.UNAVAILABLE if outage else failures.ERROR
                self.feed_failures.record(kind, exc, trace=not outage)
                if time.monotonic() - began > 10:
                    attempt = 0  # it ran well for a while: back off from the start
                attempt += 1  # (and on a cluster, try the next node)
                await asyncio.sleep(min(0.05 * 2 ** (attempt - 1), FEED_RETRY_MAX_S))
            finally:
                self._confirmed = set()
                lost, self._events_live = self._events_live, set()
                for workshop_id in lost:
                    self._on_live(workshop_id, False)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _follow(self, pubsub: PubSub) -> None:
        subscribed: set[bytes] = set()
        next_catchup = time.monotonic() + CATCHUP_S
        await pubsub.connect()  # type: ignore[no-untyped-call]  # raises if Redis is away
        while True:
            wanted = set(self._channels) | set(self._event_channels)
            if wanted - subscribed:
                await pubsub.subscribe(*(wanted - subscribed))
            if subscribed - wanted:
                await pubsub.unsubscribe(*(subscribed - wanted))
            subscribed = wanted
            msg = await pubsub.get_message(timeout=0.05)
            while msg is not None:
                self._on_message(msg)
                msg = await pubsub.get_message(timeout=0)
            now = time.monotonic()
            if now >= next_catchup:
                next_catchup = now + CATCHUP_S
                self._catchup.update(self._confirmed)
            due = [b for b in self._catchup if b in self._confirmed]
            if due:
                self._catchup.difference_update(due)
                await self._catch_up(due)

    def _on_message(self, msg: dict[str, Any]) -> None:
        kind, channel = msg["type"], msg["channel"]
        board = self._channels.get(channel)
        if board is None:
            self._on_workshop_message(msg)
            return
        if kind == "subscribe":
            self._confirmed.add(board)
            self._catchup.add(board)  # what was stored before the subscription took
            return
        if kind != "message":
            return
        data: bytes = msg["data"]
        tag, origin, rest = data[:1], data[2:10], data[11:]
        if origin == self._origin.encode():
            return  # this hub delivered it already
        if tag == b"p":
            self._on_presence(board, rest)
        elif tag == b"u":
            seen = self._watched.get(board)
            if seen is None:
                return  # the room is still loading; the catch-up after it feeds it
            seq_text, _, blob = rest.partition(b"|")
            seq = int(seq_text)
            if seq <= seen:
                return
            packed = split_ops(blob)
            if seq - len(packed) + 1 > seen + 1:
                self._catchup.add(board)  # a notification went missing: read the log
                return
            self._watched[board] = seq
            self._on_update(board, seq, StoredOps(packed))

    def _on_workshop_message(self, msg: dict[str, Any]) -> None:
        workshop_id = self._event_channels.get(msg["channel"])
        if workshop_id is None:
            return
        if msg["type"] == "subscribe":
            self._events_live.add(workshop_id)  # (what was published before is lost)
            self._on_live(workshop_id, True)
            return
        data: bytes = msg["data"]
        if msg["type"] == "message" and data[:1] == b"e" and data[2:10] != self._origin.encode():
            self._on_event(workshop_id, data[11:])

    async def _catch_up(self, boards: list[str]) -> None:
        """Feed each board's log entries after what the hub has, in one round trip. If
        the log no longer reaches back, feed its last entry: the hub sees the gap and
        resyncs its subscribers from the state."""
        live = [(b, s) for b in boards if (s := self._watched.get(b)) is not None]
        if not live:
            return
        try:
            found = await self._commands(
                [("XRANGE", board_keys(b)[3], f"{s + 1}-0", "+") for b, s in live]
            )
        except StoreUnavailable:
            self._catchup.update(b for b, _ in live)
            return
        for (board, _), entries in zip(live, found, strict=True):
            since = self._watched.get(board)  # it may have moved on meanwhile
            if since is None or not entries:
                continue
            ops: list[bytes] = []
            first = last = 0
            part: list[bytes] = []
            for entry_id, fields in entries:
                last = int(_b(entry_id).split(b"-")[0])
                part = split_ops(fields[b"o"])
                if not ops:
                    first = last - len(part) + 1
                ops.extend(part)
            if last <= since:
                continue
            ops = part if first > since + 1 else ops[since + 1 - first :]
            self._watched[board] = last
            self._on_update(board, last, StoredOps(ops))


def _b(value: bytes | str) -> bytes:
    """Replies are bytes (decode_responses=False); the client's types allow str too."""
    return value.encode() if isinstance(value, str) else value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _netloc(netloc: str, host: str, port: int) -> str:
    auth = netloc.rpartition("@")[0]
    return f"{auth}@{host}:{port}" if auth else f"{host}:{port}"


def _safe_url(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
