"""Retries, the total deadline, the circuit breaker and the throttle."""

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.resilience import (
    BreakerState,
    CircuitBreaker,
    Throttle,
    backoff_delay,
    parse_rate_limit_reset,
    parse_retry_after,
)

from .support import (
    BASE_URL,
    IDENTITY_PATH,
    FakeClock,
    error_body,
    identity,
    json_response,
    make_client,
    success_body,
)

OK = json_response(200, success_body())


def rate_limited(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return json_response(429, error_body("00429"), headers)


# Retries


def test_429_waits_retry_after_then_succeeds():
    clock = FakeClock()
    client = make_client(clock)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(side_effect=[rate_limited("3"), OK])
        result = client.lookup_by_identity(identity())
    assert result.value == 712
    assert route.call_count == 2
    assert result.attempts == 2
    assert clock.sleeps == [3.0]


def test_429_retry_after_as_http_date():
    clock = FakeClock()
    client = make_client(clock)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=6), usegmt=True)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[rate_limited(when), OK])
        client.lookup_by_identity(identity())
    [waited] = clock.sleeps
    assert 4.0 <= waited <= 6.0


def test_429_pauses_the_whole_process():
    clock = FakeClock()
    client = make_client(clock)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[rate_limited("5"), OK])
        client.lookup_by_identity(identity())
    # The pause was shared through the throttle: another caller starting at the
    # time of the 429 would have waited for it too.
    assert client.throttle._paused_until == pytest.approx(1005.0)


def test_429_longer_than_the_budget_is_not_waited():
    clock = FakeClock()
    client = make_client(clock, total_timeout=20)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(side_effect=[rate_limited("60"), OK])
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert route.call_count == 1
    assert clock.sleeps == []


def test_429_without_retry_after_backs_off_at_least_one_second():
    clock = FakeClock()
    client = make_client(clock)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[rate_limited(), OK])
        client.lookup_by_identity(identity())
    assert clock.sleeps[0] >= 1.0


def test_409_is_retried_once():
    clock = FakeClock()
    client = make_client(clock)
    conflict = json_response(409, error_body("00015"))
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(side_effect=[conflict, OK])
        assert client.lookup_by_identity(identity()).value == 712
        assert route.call_count == 2
        route.side_effect = [conflict, conflict, OK]
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.code == "00015"
    assert route.call_count == 4


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_with_backoff(status):
    clock = FakeClock()
    client = make_client(clock, backoff_base=0.5, backoff_cap=4.0)
    failing = json_response(status, error_body("37001"))
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[failing, failing, OK])
        result = client.lookup_by_identity(identity())
    assert result.attempts == 3
    first, second = clock.sleeps
    assert 0.5 <= first <= 0.625
    assert 1.0 <= second <= 1.25


def test_meta_retry_in_is_honoured():
    clock = FakeClock()
    client = make_client(clock)
    network = json_response(504, error_body("00501", retry_in=7))
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[network, OK])
        client.lookup_by_identity(identity())
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ConnectError,
        httpx.ReadError,
        httpx.RemoteProtocolError,
        httpx.ConnectTimeout,
    ],
)
def test_network_errors_are_retried(exception):
    clock = FakeClock()
    client = make_client(clock)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(side_effect=[exception("boom"), OK])
        assert client.lookup_by_identity(identity()).value == 712
    assert route.call_count == 2


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_no_retry_on_client_errors(status):
    clock = FakeClock()
    client = make_client(clock)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=json_response(status, error_body("00366"))
        )
        with pytest.raises(QuotientError):
            client.lookup_by_identity(identity())
    assert route.call_count == 1
    assert clock.sleeps == []


# The total deadline


def test_hung_api_gives_unavailable_within_the_budget_fake_clock():
    """Each attempt hangs until the read timeout; the lookup stops at 20 s."""
    clock = FakeClock()
    client = make_client(clock, read_timeout=12, total_timeout=20, max_attempts=10)

    def hang(request):
        read_timeout = request.extensions["timeout"]["read"]
        clock.advance(read_timeout)
        raise httpx.ReadTimeout("hung", request=request)

    started = clock()
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(side_effect=hang)
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert clock() - started <= 20.0
    # The second attempt got only what was left of the budget.
    timeouts = [call.request.extensions["timeout"]["read"] for call in route.calls]
    assert timeouts[0] == 12
    assert all(t <= 20 - 12 for t in timeouts[1:])


def test_hung_api_gives_unavailable_within_the_budget_real_time():
    """A server that never answers (and ignores read timeouts) is cut at the deadline."""
    client = make_client(total_timeout=0.5, read_timeout=12)
    release = threading.Event()

    def hang(request):
        release.wait(5)  # stands for a server dribbling bytes forever
        return OK

    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=hang)
        started = time.monotonic()
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
        elapsed = time.monotonic() - started
        release.set()
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.reason == "deadline"
    assert elapsed < 1.0
    client.close()


def test_no_retry_sleep_past_the_deadline():
    clock = FakeClock()
    client = make_client(clock, total_timeout=3, max_attempts=10)
    network = json_response(504, error_body("00501", retry_in=10))
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(return_value=network)
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert route.call_count == 1
    assert clock.sleeps == []


# Circuit breaker


def test_circuit_opens_fails_fast_then_closes_after_a_good_probe():
    clock = FakeClock()
    records = []
    client = make_client(
        clock, failure_threshold=3, cool_down=30, max_attempts=1, on_call=records.append
    )
    down = json_response(503, error_body("37001"))
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(return_value=down)
        for _ in range(3):
            with pytest.raises(QuotientError):
                client.lookup_by_identity(identity())
        assert client.breaker.state is BreakerState.OPEN
        assert route.call_count == 3

        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
        assert caught.value.kind is ErrorKind.UNAVAILABLE
        assert caught.value.reason == "circuit_open"
        assert route.call_count == 3  # failed fast, no HTTP
        assert records[-1].attempts == 0 and records[-1].detail == "circuit_open"

        clock.advance(30)
        assert client.breaker.state is BreakerState.HALF_OPEN
        route.return_value = OK
        assert client.lookup_by_identity(identity()).value == 712
        assert client.breaker.state is BreakerState.CLOSED
        assert route.call_count == 4


def test_failed_probe_opens_the_circuit_again():
    clock = FakeClock()
    client = make_client(clock, failure_threshold=2, cool_down=10, max_attempts=1)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=httpx.ConnectError("refused"))
        for _ in range(2):
            with pytest.raises(QuotientError):
                client.lookup_by_identity(identity())
        assert client.breaker.state is BreakerState.OPEN
        clock.advance(10)
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
        assert caught.value.reason == "network"  # the probe went out and failed
        assert client.breaker.state is BreakerState.OPEN
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
        assert caught.value.reason == "circuit_open"


def test_client_errors_do_not_open_the_circuit():
    clock = FakeClock()
    client = make_client(clock, failure_threshold=2)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=json_response(404, error_body("23003"))
        )
        for _ in range(5):
            with pytest.raises(QuotientError):
                client.lookup_by_identity(identity())
    assert client.breaker.state is BreakerState.CLOSED


def test_half_open_lets_a_single_probe_through():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cool_down=5, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.advance(5)
    assert breaker.allow()
    assert not breaker.allow()  # probe in flight
    breaker.record_neutral()
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


# Throttle


def test_throttle_holds_its_rate_on_a_fake_clock():
    clock = FakeClock(start=0.0)
    throttle = Throttle(rate=10, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(50):
        throttle.acquire()
        stamps.append(clock())
    assert stamps[-1] == pytest.approx(4.9)
    assert all(
        b - a == pytest.approx(0.1) for a, b in zip(stamps, stamps[1:], strict=False)
    )


def test_throttle_burst():
    clock = FakeClock(start=0.0)
    throttle = Throttle(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        throttle.acquire()
    assert clock() == 0.0
    throttle.acquire()
    assert clock() == pytest.approx(0.1)


def test_throttle_timeout_reserves_nothing():
    clock = FakeClock(start=0.0)
    throttle = Throttle(rate=1, clock=clock, sleep=clock.sleep)
    assert throttle.acquire()
    assert not throttle.acquire(timeout=0.5)
    assert throttle.acquire(timeout=1.0)
    assert clock() == pytest.approx(1.0)


def busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for s in stamps if start <= s < start + 1.0) for start in stamps)


def test_throttle_holds_its_rate_across_threads():
    """The moments the throttle lets callers through (told by on_release, under its
    lock): a caller's own timestamp after acquire() would also count how late the
    machine ran that thread, which is what made this test flaky under load."""
    rate = 40.0
    released = []
    throttle = Throttle(rate=rate, on_release=released.append)

    def worker():
        for _ in range(20):
            throttle.acquire()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(released) == 80
    assert released == sorted(released)
    assert released[-1] - released[0] >= (80 - 1) / rate * 0.95
    # No one-second window holds more than `rate` requests.
    assert busiest_second(released) <= throttle.window_cap == rate


def test_a_caller_woken_late_does_not_bunch_with_the_next_ones():
    """The second caller's thread wakes up 0.5 s after its slot (a loaded machine)
    while the others run on time: let through with them, 21 requests would fall in
    one second against a 20/s allowance. It waits for the window instead."""
    rate = 20.0
    released = []
    late = threading.local()

    def sleep(seconds):
        time.sleep(seconds + (0.5 if getattr(late, "value", False) else 0.0))
        late.value = False

    throttle = Throttle(rate=rate, sleep=sleep, on_release=released.append)

    def caller(index):
        late.value = index == 1
        throttle.acquire()

    threads = []
    for index in range(40):
        thread = threading.Thread(target=caller, args=(index,))
        thread.start()
        threads.append(thread)
        time.sleep(0.001)  # reserve the slots in this order
    for thread in threads:
        thread.join()
    assert len(released) == 40
    assert busiest_second(released) <= throttle.window_cap == rate


def test_client_lookups_go_through_the_throttle():
    clock = FakeClock(start=0.0)
    client = make_client(clock, rate=5)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=OK)
        for _ in range(10):
            client.lookup_by_identity(identity())
    assert clock() == pytest.approx(9 / 5)


def test_exhausted_quota_pauses_until_reset():
    clock = FakeClock(start=0.0)
    client = make_client(clock)
    last = json_response(
        200, success_body(), {"RateLimit-Remaining": "0", "RateLimit-Reset": "4"}
    )
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=[last, OK])
        client.lookup_by_identity(identity())
        client.lookup_by_identity(identity())
    assert clock() == pytest.approx(4.0)


# Header parsing


def test_parse_retry_after():
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_parse_rate_limit_reset_seconds_or_timestamp():
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert parse_rate_limit_reset("7", now) == 7.0
    assert parse_rate_limit_reset(str(int(now.timestamp()) + 9), now) == 9.0
    assert parse_rate_limit_reset(None, now) is None


def test_backoff_grows_and_is_capped():
    delays = [backoff_delay(n, base=0.5, cap=4.0) for n in range(1, 8)]
    assert 0.5 <= delays[0] <= 0.625
    assert all(4.0 <= d <= 5.0 for d in delays[3:])


def test_a_process_wide_pause_past_the_deadline_is_rate_limited():
    clock = FakeClock()
    client = make_client(clock, total_timeout=20)
    client.throttle.pause(45)  # another thread was told Retry-After: 45
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.get(IDENTITY_PATH).mock(return_value=OK)
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert route.call_count == 0
    assert clock.sleeps == []


def test_a_saturated_throttle_gives_unavailable_at_the_deadline():
    clock = FakeClock()
    client = make_client(clock, rate=0.01, total_timeout=20)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=OK)
        client.lookup_by_identity(identity())
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.reason == "throttle"
