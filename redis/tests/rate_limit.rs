//! The shared rate limit against a real `redis-server` (started by each
//! test on a free port): the GCRA script's schedule (a burst, idle time, a
//! changed limit, Redis's clock), a Redis that goes down and comes back,
//! and one limit kept by four worker processes together, counted by the
//! server they call.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests; a worker reports on stdout

mod common;
mod rate_limit_server;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{PASSWORD, RedisServer};
use patchbay_redis::{DEFAULT_PREFIX, EncryptionKeys, RedisRateLimiter, RedisStore};
use patchbay_runtime::{Call, Error, LocalRateLimiter, RateLimit, RateLimiter, RateScope};
use rate_limit_server::{API_KEY, CountingServer, connection};

fn limit(instance: &str, requests: u32) -> RateLimit {
    RateLimit::new(
        instance,
        RateScope::Connector,
        requests,
        Duration::from_secs(1),
    )
}

fn limiter(server: &RedisServer) -> RedisRateLimiter {
    RedisRateLimiter::new(redis::Client::open(server.url()).unwrap()).unwrap()
}

async fn redis_connection(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Redis's clock, in microseconds.
async fn redis_now(connection: &mut redis::aio::MultiplexedConnection) -> u64 {
    let (seconds, micros): (u64, u64) = redis::cmd("TIME").query_async(connection).await.unwrap();
    seconds * 1_000_000 + micros
}

/// Whether `wait` is `expected`, give or take the time the test itself
/// took between reservations (a loaded machine: up to 100 ms).
fn about(wait: Duration, expected: Duration) -> bool {
    wait <= expected && wait + Duration::from_millis(100) >= expected
}

#[tokio::test]
async fn a_burst_is_spaced_by_the_interval() {
    let server = RedisServer::start("rate-limit");
    let limiter = limiter(&server);
    let limit = limit("burst", 10);
    let mut waits = Vec::new();
    for _ in 0..10 {
        waits.push(limiter.reserve(&limit).await.unwrap());
    }
    assert_eq!(waits[0], Duration::ZERO, "the first request goes at once");
    for (i, wait) in waits.iter().enumerate() {
        let slot = Duration::from_millis(100) * u32::try_from(i).unwrap();
        assert!(
            about(*wait, slot),
            "request {i} waits {wait:?}, not {slot:?}"
        );
    }
}

#[tokio::test]
async fn idle_time_earns_no_burst() {
    let server = RedisServer::start("rate-limit");
    let limiter = limiter(&server);
    let limit = limit("idle", 10);
    limiter.reserve(&limit).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Five intervals idle: the next request goes at once, but the one
    // after it still waits a whole interval.
    assert_eq!(limiter.reserve(&limit).await.unwrap(), Duration::ZERO);
    let next = limiter.reserve(&limit).await.unwrap();
    assert!(about(next, Duration::from_millis(100)), "{next:?}");
}

#[tokio::test]
async fn a_changed_limit_applies_from_the_next_request() {
    let server = RedisServer::start("rate-limit");
    let limiter = limiter(&server);
    // Three slots at 10 per second: the next one is 300 ms out.
    for _ in 0..3 {
        limiter.reserve(&limit("changed", 10)).await.unwrap();
    }
    // Lowered to 1 per second (same key): the reserved slot stands, the
    // one after it is a second later.
    let lowered = limit("changed", 1);
    let first = limiter.reserve(&lowered).await.unwrap();
    let second = limiter.reserve(&lowered).await.unwrap();
    assert!(about(first, Duration::from_millis(300)), "{first:?}");
    assert!(about(second, Duration::from_millis(1300)), "{second:?}");
    // Raised to 100 per second: 10 ms apart from there on.
    let raised = limit("changed", 100);
    let third = limiter.reserve(&raised).await.unwrap();
    let fourth = limiter.reserve(&raised).await.unwrap();
    assert!(about(third, Duration::from_millis(2300)), "{third:?}");
    assert!(about(fourth, Duration::from_millis(2310)), "{fourth:?}");
}

#[tokio::test]
async fn the_schedule_is_kept_on_redis_clock_and_expires() {
    let server = RedisServer::start("rate-limit");
    let limiter = limiter(&server);
    let limit = limit("clock", 4);
    let mut redis = redis_connection(&server).await;
    let before = redis_now(&mut redis).await;
    limiter.reserve(&limit).await.unwrap();
    let after = redis_now(&mut redis).await;
    let key = limiter.redis_key(&limit);
    assert_eq!(key, format!("{DEFAULT_PREFIX}clock:connector"));
    // The next slot, in microseconds of Redis's TIME (not rounded by
    // Lua's number format): one interval after the reservation.
    let next: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        (before + 250_000..=after + 250_000).contains(&next),
        "{next} is not 250 ms after Redis's {before}..{after}"
    );
    // An idle limit leaves nothing behind once its slot has passed.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((1..=251).contains(&ttl), "{ttl} ms");

    // Another worker's reservation far ahead (as Redis's clock counts)
    // holds this one back: the wait is Redis's time, not the caller's.
    let ahead = redis_now(&mut redis).await + 2_000_000;
    let () = redis::cmd("SET")
        .arg(&key)
        .arg(ahead)
        .query_async(&mut redis)
        .await
        .unwrap();
    let wait = limiter.reserve(&limit).await.unwrap();
    assert!(about(wait, Duration::from_secs(2)), "{wait:?}");
}

#[tokio::test]
async fn limits_are_counted_per_instance_and_scope() {
    let server = RedisServer::start("rate-limit");
    let limiter = limiter(&server).with_prefix("service-a:");
    let second = Duration::from_secs(1);
    let connector = RateLimit::new("shop-1", RateScope::Connector, 1, second);
    let endpoint = RateLimit::new("shop-1", RateScope::Endpoint("orders".into()), 1, second);
    let other = RateLimit::new("shop-2", RateScope::Connector, 1, second);
    assert_eq!(
        limiter.redis_key(&endpoint),
        "service-a:shop-1:endpoint:orders"
    );
    limiter.reserve(&connector).await.unwrap();
    assert_eq!(limiter.reserve(&endpoint).await.unwrap(), Duration::ZERO);
    assert_eq!(limiter.reserve(&other).await.unwrap(), Duration::ZERO);
    assert!(limiter.reserve(&connector).await.unwrap() > Duration::from_millis(900));
}

#[tokio::test]
async fn a_connection_waits_for_the_shared_limit() {
    let server = RedisServer::start("rate-limit");
    let api = CountingServer::start().await;
    let shared: Arc<dyn RateLimiter> = Arc::new(limiter(&server));
    // Two connections (as in two workers) of one instance, 10 per second.
    let a = connection(&api.url, 10, 10).with_rate_limiter(Arc::clone(&shared), "instance-1");
    let b = connection(&api.url, 10, 10).with_rate_limiter(Arc::clone(&shared), "instance-1");
    let start = Instant::now();
    for _ in 0..3 {
        a.call("open", &Call::default()).await.unwrap();
        b.call("open", &Call::default()).await.unwrap();
    }
    // Six requests, 100 ms apart: the last at 500 ms.
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(490), "{elapsed:?}");
    assert_eq!(api.count(Some("/open")), 6);
}

#[tokio::test]
async fn connections_given_a_redis_store_share_its_rate_limit_unless_they_chose_one() {
    let server = RedisServer::start("rate-limit");
    let api = CountingServer::start().await;
    let keys = EncryptionKeys::new("k1", &[7; 32]).unwrap();
    let store = Arc::new(RedisStore::connect(&server.url(), keys).await.unwrap());
    // Two workers of one instance, each with only the store: 10 per second
    // between them.
    let a = connection(&api.url, 10, 10).with_store(store.clone(), "instance-store");
    let b = connection(&api.url, 10, 10).with_store(store.clone(), "instance-store");
    let start = Instant::now();
    for _ in 0..3 {
        a.call("open", &Call::default()).await.unwrap();
        b.call("open", &Call::default()).await.unwrap();
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(490), "{elapsed:?}");
    // A connection that chose its limiter keeps it, before or after the store.
    let own = connection(&api.url, 10, 10)
        .with_rate_limiter(Arc::new(LocalRateLimiter::default()), "instance-own")
        .with_store(store.clone(), "instance-own");
    own.call("open", &Call::default()).await.unwrap();
    assert_eq!(api.count(Some("/open")), 7);

    let mut redis = redis_connection(&server).await;
    let shared: bool = redis::cmd("EXISTS")
        .arg("patchbay:rate:instance-store:connector")
        .query_async(&mut redis)
        .await
        .unwrap();
    let own_counted: bool = redis::cmd("EXISTS")
        .arg("patchbay:rate:instance-own:connector")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(shared, "the store's connections counted in its Redis");
    assert!(
        !own_counted,
        "a chosen limiter is not replaced by the store's"
    );
}

#[tokio::test]
async fn a_redis_that_is_down_fails_the_call_clearly_until_it_is_back() {
    let password = PASSWORD;
    let mut server = RedisServer::start("rate-limit-down");
    let api = CountingServer::start().await;
    let limiter = Arc::new(limiter(&server));
    let connection =
        connection(&api.url, 100, 100).with_rate_limiter(limiter.clone(), "instance-down");
    connection.call("open", &Call::default()).await.unwrap();
    assert_eq!(api.count(None), 1);

    server.stop();
    let start = Instant::now();
    let error = connection
        .call("open", &Call::default())
        .await
        .expect_err("no call while the limit cannot be counted");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "failed after {:?}",
        start.elapsed()
    );
    assert!(matches!(error, Error::RateLimiter { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}", server.port())),
        "{message}"
    );
    assert!(message.contains("instance-down:connector"), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
    for shown in [message, format!("{error:?}"), format!("{limiter:?}")] {
        assert!(!shown.contains(password), "{shown}");
        assert!(!shown.contains(API_KEY), "{shown}");
    }
    assert_eq!(api.count(None), 1, "nothing was sent while Redis was down");

    // Back up: the same limiter reconnects by itself.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match connection.call("open", &Call::default()).await {
            Ok(_) => break,
            Err(Error::RateLimiter { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("no recovery: {error}"),
        }
    }
    assert_eq!(api.count(None), 2);
}

/// The environment variable that makes [`worker_process`] a worker.
const WORKER: &str = "PATCHBAY_RATE_LIMIT_WORKER";

/// Callers each worker process runs at once.
const CALLERS: usize = 50;

/// Connector limit and the `limited` endpoint's own, per second.
const CONNECTOR_RATE: u32 = 20;
const ENDPOINT_RATE: u32 = 5;

#[test]
fn the_shared_limit_holds_across_four_processes() {
    shared_limit_holds(4, Duration::from_secs(20));
}

/// `workers` processes of [`CALLERS`] callers each call one instance for
/// `duration`, half of them the `limited` endpoint: the server must count
/// at most 105 % of each limit, and the limits must be used (the workers
/// are not held back further than the limits ask).
fn shared_limit_holds(workers: usize, duration: Duration) {
    let redis = RedisServer::start("rate-limit");
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let api = tokio.block_on(CountingServer::start());
    // Workers start together, once all are up.
    let start = SystemTime::now() + Duration::from_millis(1500);
    let start_ms = start.duration_since(UNIX_EPOCH).unwrap().as_millis();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["worker_process", "--exact", "--ignored", "--nocapture"])
                .env(
                    WORKER,
                    format!(
                        "{}|{}|{start_ms}|{}",
                        redis.url(),
                        api.url,
                        duration.as_millis()
                    ),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut failed = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "a worker failed");
        let report = String::from_utf8_lossy(&output.stdout);
        let line = report
            .lines()
            .find_map(|l| l.strip_prefix("worker: failed "))
            .unwrap_or_else(|| panic!("no report from a worker: {report}"));
        failed += line.trim().parse::<usize>().unwrap();
    }
    assert_eq!(failed, 0, "calls failed");

    let seconds = duration.as_secs_f64();
    let total = api.count(None) as f64;
    let limited = api.count(Some("/limited")) as f64;
    let allowed_total = f64::from(CONNECTOR_RATE) * seconds;
    let allowed_limited = f64::from(ENDPOINT_RATE) * seconds;
    let busiest = busiest_second(&api);
    println!(
        "{workers} workers × {CALLERS} callers, {seconds} s: {total} requests ({:.1} % of the connector's limit), {limited} to `limited` ({:.1} % of its own); busiest second: {busiest}",
        100.0 * total / allowed_total,
        100.0 * limited / allowed_limited
    );
    assert!(
        total <= 1.05 * allowed_total,
        "{total} > 105 % of {allowed_total}"
    );
    assert!(
        limited <= 1.05 * allowed_limited,
        "{limited} > 105 % of {allowed_limited}"
    );
    // Unshared, each worker would send the whole limit: 4 times this.
    assert!(
        total >= 0.9 * allowed_total,
        "the limit was not used: {total}"
    );
    assert!(
        limited >= 0.5 * allowed_limited,
        "`limited` starved: {limited}"
    );
}

/// The most requests the server got within one second.
fn busiest_second(api: &CountingServer) -> usize {
    let mut times: Vec<Instant> = api
        .arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    times.sort();
    let mut busiest = 0;
    let mut first = 0;
    for (last, time) in times.iter().enumerate() {
        while *time - times[first] >= Duration::from_secs(1) {
            first += 1;
        }
        busiest = busiest.max(last + 1 - first);
    }
    busiest
}

/// One worker process of [`the_shared_limit_holds_across_four_processes`],
/// which runs this test binary with [`WORKER`] set; alone it does nothing.
#[test]
#[ignore = "a worker process, started by the_shared_limit_holds_across_four_processes"]
fn worker_process() {
    let Ok(setup) = std::env::var(WORKER) else {
        return;
    };
    let parts: Vec<&str> = setup.split('|').collect();
    let [redis_url, api_url, start_ms, duration_ms] = parts[..] else {
        panic!("{WORKER} is REDIS|API|START_MS|DURATION_MS");
    };
    let start = UNIX_EPOCH + Duration::from_millis(start_ms.parse().unwrap());
    let duration = Duration::from_millis(duration_ms.parse().unwrap());
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let failed = tokio.block_on(async {
        let limiter: Arc<dyn RateLimiter> =
            Arc::new(RedisRateLimiter::new(redis::Client::open(redis_url).unwrap()).unwrap());
        let connection = connection(api_url, CONNECTOR_RATE, ENDPOINT_RATE)
            .with_rate_limiter(limiter, "shared-instance");
        let until_start = start.duration_since(SystemTime::now()).unwrap_or_default();
        tokio::time::sleep(until_start).await;
        let deadline = tokio::time::Instant::now() + duration;
        let callers: Vec<_> = (0..CALLERS)
            .map(|i| {
                let connection = connection.clone();
                let endpoint = if i % 2 == 0 { "open" } else { "limited" };
                tokio::spawn(async move {
                    let mut failed = 0;
                    // Calls still waiting for a slot at the deadline are
                    // dropped, as a worker that shuts down drops them.
                    let _ = tokio::time::timeout_at(deadline, async {
                        loop {
                            if let Err(error) = connection.call(endpoint, &Call::default()).await {
                                eprintln!("worker: {error}");
                                failed += 1;
                            }
                        }
                    })
                    .await;
                    failed
                })
            })
            .collect();
        let mut failed = 0;
        for caller in callers {
            failed += caller.await.unwrap();
        }
        failed
    });
    println!("worker: failed {failed}");
}
