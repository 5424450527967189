//! The `health-demo` contract of DESIGN.md §2, run as a real process.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grpc_health_checks::ServingStatus::{self, NotServing, Serving};
use grpc_health_checks::pb::health_client::HealthClient;
use grpc_health_checks::pb::{HealthCheckRequest, HealthCheckResponse};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic::{Code, Streaming};

const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the demo on a free port and returns it with the address it printed.
async fn start_demo(args: &[&str]) -> (Child, String) {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_health-demo"))
        .args(["--addr", "127.0.0.1:0", "--interval", "20ms"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("health-demo starts");
    let stdout = demo.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(EVENT_TIMEOUT, lines.next_line())
        .await
        .expect("demo prints its address in time")
        .expect("stdout readable")
        .expect("a line");
    let addr = line
        .strip_prefix("listening on ")
        .expect("`listening on ADDR`")
        .to_owned();
    (demo, addr)
}

async fn client(addr: &str) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("demo accepts connections once it printed its address");
    HealthClient::new(channel)
}

fn request(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_owned(),
    }
}

async fn check(client: &mut HealthClient<Channel>, service: &str) -> Result<ServingStatus, Code> {
    client
        .check(request(service))
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

async fn wait_for(stream: &mut Streaming<HealthCheckResponse>, wanted: ServingStatus) {
    loop {
        let message = tokio::time::timeout(EVENT_TIMEOUT, stream.message())
            .await
            .expect("status change in time")
            .expect("stream healthy")
            .expect("stream open");
        if message.status() == wanted {
            return;
        }
    }
}

fn terminate(demo: &Child) {
    let pid = demo.id().expect("demo still running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM delivered");
}

#[tokio::test]
async fn demo_serves_contract_services_and_follows_the_ready_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let (_demo, addr) = start_demo(&["--ready-file", ready_arg]).await;
    let mut client = client(&addr).await;

    assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(NotServing),
        "no ready file yet"
    );
    assert_eq!(
        check(&mut client, "helloworld.Greeter").await,
        Ok(NotServing),
        "greeter follows readiness"
    );
    assert_eq!(check(&mut client, "unknown").await, Err(Code::NotFound));

    let mut greeter = client
        .watch(request("helloworld.Greeter"))
        .await
        .expect("watch")
        .into_inner();
    std::fs::write(&ready_file, b"").expect("create ready file");
    wait_for(&mut greeter, Serving).await;
    assert_eq!(check(&mut client, "").await, Ok(Serving));

    std::fs::remove_file(&ready_file).expect("remove ready file");
    wait_for(&mut greeter, NotServing).await;
    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(Serving),
        "liveness ignores readiness"
    );
}

#[tokio::test]
async fn sigterm_drains_watchers_then_exits_zero() {
    let (mut demo, addr) = start_demo(&["--drain-delay", "300ms"]).await;
    let mut client = client(&addr).await;
    let mut watcher = client.watch(request("")).await.expect("watch").into_inner();
    wait_for(&mut watcher, Serving).await;

    terminate(&demo);
    wait_for(&mut watcher, NotServing).await;
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(NotServing),
        "answers during the drain delay"
    );
    let status = tokio::time::timeout(EVENT_TIMEOUT, demo.wait())
        .await
        .expect("demo exits after draining")
        .expect("wait for demo");
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn unreadable_tls_file_is_named_in_the_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_health-demo"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .await
        .expect("run health-demo");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--tls-cert /nonexistent/cert.pem"),
        "{stderr}"
    );
}

/// Opens `count` eager HTTP/2 connections to the demo.
async fn channels(addr: &str, count: usize) -> Vec<Channel> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect to the demo");
        channels.push(channel);
    }
    channels
}

/// hyper's default limit is 200 concurrent streams per connection.
const WATCHERS_PER_CONNECTION: usize = 100;

/// What one watcher saw.
#[derive(Debug, Default)]
struct Watched {
    first: Option<ServingStatus>,
    /// When each NOT_SERVING arrived.
    not_serving_at: Vec<Instant>,
    messages: usize,
    /// How the stream ended, if it did: a gRPC status code (`Ok` for a clean end).
    ended: Option<(Instant, Code)>,
}

/// Runs one Watch until it ends or `stop` is set, reporting the first message
/// through `started` and every NOT_SERVING/SERVING through the counters.
async fn watcher(
    channel: Channel,
    service: &'static str,
    started: Arc<Tally>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Watched {
    let mut seen = Watched::default();
    let mut client = HealthClient::new(channel);
    let mut stream = match client.watch(request(service)).await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            seen.ended = Some((Instant::now(), status.code()));
            return seen;
        }
    };
    loop {
        let message = tokio::select! {
            message = stream.message() => message,
            _ = stop.wait_for(|stop| *stop) => return seen,
        };
        match message {
            Ok(Some(message)) => {
                let status = message.status();
                seen.messages += 1;
                if seen.first.is_none() {
                    seen.first = Some(status);
                    started.started.fetch_add(1, Ordering::SeqCst);
                }
                match status {
                    NotServing => {
                        seen.not_serving_at.push(Instant::now());
                        started.not_serving.fetch_add(1, Ordering::SeqCst);
                    }
                    Serving => {
                        started.serving.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
            Ok(None) => {
                seen.ended = Some((Instant::now(), Code::Ok));
                return seen;
            }
            Err(status) => {
                seen.ended = Some((Instant::now(), status.code()));
                return seen;
            }
        }
    }
}

/// Counters the watchers bump, for waiting on "all of them" without polling each.
#[derive(Debug, Default)]
struct Tally {
    started: AtomicUsize,
    serving: AtomicUsize,
    not_serving: AtomicUsize,
}

/// Waits until `counter` reaches `target`, failing after `limit`.
async fn reach(what: &str, counter: &AtomicUsize, target: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while counter.load(Ordering::SeqCst) < target {
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {target} after {limit:?}",
            counter.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Starts `count` watchers of `services` (round robin), `WATCHERS_PER_CONNECTION`
/// to a connection, and waits until each has its first message.
async fn start_watchers(
    addr: &str,
    services: &[&'static str],
    count: usize,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> (Arc<Tally>, Vec<tokio::task::JoinHandle<Watched>>) {
    let tally = Arc::new(Tally::default());
    let connections = channels(addr, count.div_ceil(WATCHERS_PER_CONNECTION)).await;
    let tasks = (0..count)
        .map(|index| {
            tokio::spawn(watcher(
                connections[index / WATCHERS_PER_CONNECTION].clone(),
                services[index % services.len()],
                tally.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let limit = EVENT_TIMEOUT + Duration::from_millis(u64::try_from(count).unwrap_or(0));
    reach("watchers started", &tally.started, count, limit).await;
    (tally, tasks)
}

/// One Check a load worker made: when it was sent and how it went.
#[derive(Debug, Clone, Copy)]
struct Checked {
    sent: Instant,
    answer: Result<ServingStatus, Code>,
}

/// Sends Check(`service`) every `period` on `channel` until `stop`.
async fn check_load(
    channel: Channel,
    service: &'static str,
    period: Duration,
    done: Arc<AtomicUsize>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<Checked> {
    let mut client = HealthClient::new(channel);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut log = Vec::new();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return log,
        }
        let sent = Instant::now();
        let mut call = tonic::Request::new(request(service));
        call.set_timeout(Duration::from_secs(1));
        let answer = client
            .check(call)
            .await
            .map(|response| response.into_inner().status())
            .map_err(|status| status.code());
        log.push(Checked { sent, answer });
        done.fetch_add(1, Ordering::SeqCst);
    }
}

/// Starts `workers` Check loops over their own connections, `per_second` in all.
async fn start_check_load(
    addr: &str,
    service: &'static str,
    workers: usize,
    per_second: u32,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> (Arc<AtomicUsize>, Vec<tokio::task::JoinHandle<Vec<Checked>>>) {
    let done = Arc::new(AtomicUsize::new(0));
    let per_worker = per_second / u32::try_from(workers).expect("few workers");
    let period = Duration::from_secs(1) / per_worker.max(1);
    let tasks = channels(addr, workers)
        .await
        .into_iter()
        .map(|channel| {
            tokio::spawn(check_load(
                channel,
                service,
                period,
                done.clone(),
                stop.clone(),
            ))
        })
        .collect();
    (done, tasks)
}

async fn join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(
            tokio::time::timeout(EVENT_TIMEOUT, task)
                .await
                .expect("load task stops")
                .expect("load task did not panic"),
        );
    }
    results
}

/// SIGTERM while 1,000 watchers and ~1,000 Checks a second run: every watcher
/// gets NOT_SERVING before the listener closes, no Check fails before its
/// connection has seen NOT_SERVING, and the process exits 0 within the drain
/// delay plus 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_tells_every_watcher_before_the_listener_closes() {
    const WATCHERS: usize = 1000;
    let drain_delay = Duration::from_secs(1);
    let (mut demo, addr) = start_demo(&["--drain-delay", "1s"]).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let services = ["", "readiness", "liveness", "helloworld.Greeter"];
    let (tally, watchers) = start_watchers(&addr, &services, WATCHERS, &stopped).await;
    let (checks_done, checkers) = start_check_load(&addr, "readiness", 10, 1000, &stopped).await;
    reach("load running", &checks_done, 500, EVENT_TIMEOUT).await;

    let signalled = Instant::now();
    terminate(&demo);
    let closed = loop {
        assert!(signalled.elapsed() < EVENT_TIMEOUT, "listener never closed");
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            break Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let status = tokio::time::timeout(EVENT_TIMEOUT, demo.wait())
        .await
        .expect("demo exits")
        .expect("wait for demo");
    let exited = signalled.elapsed();
    stop.send_replace(true);
    let watched = join(watchers).await;
    let checked: Vec<Checked> = join(checkers).await.into_iter().flatten().collect();

    assert!(status.success(), "exit status {status}");
    assert!(
        exited <= drain_delay + Duration::from_secs(1),
        "exited {exited:?} after SIGTERM"
    );
    assert_eq!(tally.started.load(Ordering::SeqCst), WATCHERS);
    for (index, seen) in watched.iter().enumerate() {
        let told = seen
            .not_serving_at
            .first()
            .unwrap_or_else(|| panic!("watcher {index} never saw NOT_SERVING: {seen:?}"));
        assert!(
            *told < closed,
            "watcher {index} told after the listener closed"
        );
        if let Some((ended, _)) = seen.ended {
            assert!(*told <= ended, "watcher {index} ended before NOT_SERVING");
        }
    }
    let first_not_serving = checked
        .iter()
        .filter(|check| check.answer == Ok(NotServing))
        .map(|check| check.sent)
        .min()
        .expect("Checks saw NOT_SERVING during the drain delay");
    let failed: Vec<_> = checked
        .iter()
        .filter(|check| check.answer.is_err())
        .collect();
    for check in &failed {
        assert!(
            check.sent > first_not_serving,
            "a Check failed before NOT_SERVING was served: {check:?}"
        );
    }
    let before = checked
        .iter()
        .filter(|check| check.sent < signalled)
        .count();
    let load_began = checked
        .iter()
        .map(|check| check.sent)
        .min()
        .expect("Checks");
    let rate = before as f64 / signalled.duration_since(load_began).as_secs_f64();
    // In flight at SIGTERM: answered (SERVING, or NOT_SERVING if the drain
    // began first), never a transport error.
    if let Some(lost) = checked
        .iter()
        .find(|check| check.sent < signalled && check.answer.is_err())
    {
        panic!("a Check sent before SIGTERM failed: {lost:?}");
    }
    let latest_told = watched
        .iter()
        .filter_map(|seen| seen.not_serving_at.first())
        .max()
        .expect("watchers");
    println!(
        "drain under load: {WATCHERS} watchers told within {:?} of SIGTERM, listener closed at {:?}, \
         exit 0 at {exited:?}; {rate:.0} Checks/s, {before} sent before SIGTERM all answered, {} after, \
         {} failed (all after NOT_SERVING)",
        latest_told.duration_since(signalled),
        closed.duration_since(signalled),
        checked.len() - before,
        failed.len()
    );
}

/// A CA, a server certificate for `localhost` and client certificates, as PEM files.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, pem: String| {
            std::fs::write(dir.path().join(name), pem).expect("write PEM");
        };
        let ca = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
        };
        let (trusted, stranger) = (ca("health-demo test CA"), ca("some other CA"));
        write("ca.pem", trusted.pem());
        let leaf = |name: &str, purpose, issuer: &CertifiedIssuer<'_, KeyPair>| {
            let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![purpose];
            let key = KeyPair::generate().expect("key");
            let cert = params.signed_by(&key, issuer).expect("sign");
            write(&format!("{name}.pem"), cert.pem());
            write(&format!("{name}.key"), key.serialize_pem());
        };
        leaf("server", ExtendedKeyUsagePurpose::ServerAuth, &trusted);
        leaf("client", ExtendedKeyUsagePurpose::ClientAuth, &trusted);
        leaf("stranger", ExtendedKeyUsagePurpose::ClientAuth, &stranger);
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir
            .path()
            .join(name)
            .to_str()
            .expect("utf-8 path")
            .to_owned()
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read PEM")
    }

    /// The demo's flags for mTLS with this PKI.
    fn server_args(&self) -> [String; 6] {
        [
            "--tls-cert".into(),
            self.path("server.pem"),
            "--tls-key".into(),
            self.path("server.key"),
            "--client-ca".into(),
            self.path("ca.pem"),
        ]
    }
}

/// Check("") over TLS to `addr`, presenting `identity` (`client` or `stranger`) if given.
async fn tls_check(pki: &Pki, addr: &str, identity: Option<&str>) -> Result<ServingStatus, String> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pki.read("ca.pem")))
        .domain_name("localhost");
    if let Some(name) = identity {
        tls = tls.identity(Identity::from_pem(
            pki.read(&format!("{name}.pem")),
            pki.read(&format!("{name}.key")),
        ));
    }
    let channel = Channel::from_shared(format!("https://{addr}"))
        .expect("uri")
        .tls_config(tls)
        .expect("TLS config")
        .connect_timeout(EVENT_TIMEOUT)
        .connect()
        .await
        .map_err(|error| format!("connect: {error:?}"))?;
    let mut call = tonic::Request::new(request(""));
    call.set_timeout(EVENT_TIMEOUT);
    HealthClient::new(channel)
        .check(call)
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| format!("check: {status:?}"))
}

/// `--tls-cert/--tls-key/--client-ca`: a client with a certificate from the CA
/// is answered; one without a certificate, with one from another CA, or
/// speaking plaintext is refused; the demo keeps serving.
#[tokio::test]
async fn mtls_demo_answers_only_clients_with_a_certificate_from_its_ca() {
    let pki = Pki::new();
    let args = pki.server_args();
    let (_demo, addr) = start_demo(&args.each_ref().map(String::as_str)).await;
    assert_eq!(tls_check(&pki, &addr, Some("client")).await, Ok(Serving));
    for identity in [None, Some("stranger")] {
        let refused = tls_check(&pki, &addr, identity).await;
        assert!(refused.is_err(), "{identity:?} was answered: {refused:?}");
    }
    let mut plaintext = HealthClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy(),
    );
    let mut call = tonic::Request::new(request(""));
    call.set_timeout(EVENT_TIMEOUT);
    assert!(plaintext.check(call).await.is_err(), "plaintext refused");
    assert_eq!(
        tls_check(&pki, &addr, Some("client")).await,
        Ok(Serving),
        "still serving after the refusals"
    );
}

/// The `grpc-probe` binary next to this test's binary, built by
/// `cargo test --workspace` (or `cargo build -p grpc-health-exec-probe`).
fn grpc_probe() -> std::path::PathBuf {
    let test_binary = std::env::current_exe().expect("current exe");
    let profile_dir = test_binary
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>/deps/<test>");
    let probe = profile_dir.join(format!("grpc-probe{}", std::env::consts::EXE_SUFFIX));
    assert!(
        probe.is_file(),
        "{} not found: build it first with `cargo build -p grpc-health-exec-probe` \
         (`cargo test --workspace` does) in the same target directory",
        probe.display()
    );
    probe
}

/// grpc-probe's mTLS path against the real demo: exit 0 with the client
/// certificate, a failure exit (2: connection failed) without one.
#[tokio::test]
async fn grpc_probe_checks_the_mtls_demo() {
    let probe = grpc_probe();
    let pki = Pki::new();
    let args = pki.server_args();
    let (_demo, addr) = start_demo(&args.each_ref().map(String::as_str)).await;
    let run = |client_cert: bool| {
        let mut command = Command::new(&probe);
        command.args([
            "-addr",
            &addr,
            "-tls",
            "-tls-ca-cert",
            &pki.path("ca.pem"),
            "-tls-server-name",
            "localhost",
            "-connect-timeout",
            "5s",
            "-rpc-timeout",
            "5s",
        ]);
        if client_cert {
            command.args([
                "-tls-client-cert",
                &pki.path("client.pem"),
                "-tls-client-key",
                &pki.path("client.key"),
            ]);
        }
        command.output()
    };
    let with_cert = run(true).await.expect("run grpc-probe");
    assert_eq!(
        with_cert.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&with_cert.stderr)
    );
    assert!(String::from_utf8_lossy(&with_cert.stderr).contains("SERVING"));
    let without = run(false).await.expect("run grpc-probe");
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(
        matches!(without.status.code(), Some(2 | 3)),
        "without a client certificate: {:?} {stderr}",
        without.status.code()
    );
    println!(
        "grpc-probe without a client certificate: exit {:?}: {}",
        without.status.code(),
        stderr.trim()
    );
}

/// `--auth-token`: the greeter needs the bearer token (UNAUTHENTICATED
/// without it or with a wrong one), while health answers without credentials,
/// as kubelet's probe needs.
#[tokio::test]
async fn auth_token_guards_the_greeter_but_not_health() {
    use examples::greeter::{GreeterClient, HelloRequest};
    let (_demo, addr) = start_demo(&["--auth-token", "s3cret"]).await;
    let channel = channels(&addr, 1).await.remove(0);
    let mut greeter = GreeterClient::new(channel.clone());
    let hello = |token: Option<&str>| {
        let mut call = tonic::Request::new(HelloRequest {
            name: "probe".into(),
        });
        if let Some(token) = token {
            call.metadata_mut()
                .insert("authorization", token.parse().expect("ascii"));
        }
        call
    };
    for token in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Bearer s3cret "),
    ] {
        let refused = greeter.say_hello(hello(token)).await.expect_err("refused");
        assert_eq!(refused.code(), Code::Unauthenticated, "{token:?}");
    }
    let reply = greeter
        .say_hello(hello(Some("Bearer s3cret")))
        .await
        .expect("the right token is accepted");
    assert_eq!(reply.into_inner().message, "Hello, probe!");
    // The exemption is by path prefix; a path that starts like health but
    // names the greeter still routes to the health service, which does not
    // know the method: no way around the token.
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    for sneaky in [
        "/grpc.health.v1.Health/../helloworld.Greeter/SayHello",
        "/grpc.health.v1.Health//helloworld.Greeter/SayHello",
    ] {
        grpc.ready().await.expect("ready");
        let answer = grpc
            .unary(
                hello(None),
                tonic::codegen::http::uri::PathAndQuery::from_static(sneaky),
                tonic_prost::ProstCodec::<HelloRequest, examples::greeter::HelloReply>::default(),
            )
            .await
            .expect_err("never reaches the greeter");
        assert_eq!(answer.code(), Code::Unimplemented, "{sneaky}");
    }
    let mut health = HealthClient::new(channel);
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        assert_eq!(
            check(&mut health, service).await,
            Ok(Serving),
            "{service:?}"
        );
    }
    let mut watch = health
        .watch(request(""))
        .await
        .expect("Watch without a token");
    wait_for(watch.get_mut(), Serving).await;
    health
        .list(grpc_health_checks::pb::HealthListRequest {})
        .await
        .expect("List without a token");
}

/// A soak knob from the environment, or its default for the ordinary test run.
fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|value| {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name}={value} is not a whole number"))
        })
        .unwrap_or(default)
}

/// The resident set size of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

/// Many Watch streams plus a steady Check load against the demo process, with
/// a readiness flip half-way: zero errors, every watcher sees both flips, and
/// the demo's RSS stays flat after warm-up. Small by default; the long run is
/// `SOAK_SECONDS=60 SOAK_WATCHERS=10000 cargo test -p examples --release --test demo soak -- --nocapture`
/// (also `SOAK_CHECKS_PER_SECOND`, default 1000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_watchers_and_checks_keep_rss_flat() {
    let seconds = knob("SOAK_SECONDS", 2).max(2);
    let watchers = usize::try_from(knob("SOAK_WATCHERS", 300)).expect("fits");
    let per_second = u32::try_from(knob("SOAK_CHECKS_PER_SECOND", 1000)).expect("fits");
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    std::fs::write(&ready_file, b"").expect("create ready file");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let (mut demo, addr) = start_demo(&["--ready-file", ready_arg]).await;
    let pid = demo.id().expect("running");
    let greeter = "helloworld.Greeter";
    let mut first = client(&addr).await;
    let mut ready = first
        .watch(request(greeter))
        .await
        .expect("watch")
        .into_inner();
    wait_for(&mut ready, Serving).await;
    drop((ready, first));
    let rss_start = rss_kib(pid);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let opened = Instant::now();
    let (tally, watch_tasks) = start_watchers(&addr, &[greeter], watchers, &stopped).await;
    let opening = opened.elapsed();
    let (checks_done, check_tasks) =
        start_check_load(&addr, greeter, 8, per_second, &stopped).await;
    let rss_with_watchers = rss_kib(pid);

    let began = Instant::now();
    let run_for = Duration::from_secs(seconds);
    let mut samples = Vec::new();
    let mut flip_times = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    while began.elapsed() < run_for {
        ticker.tick().await;
        samples.push((began.elapsed(), rss_kib(pid)));
        if flip_times.is_none() && began.elapsed() >= run_for / 2 {
            let flipped = Instant::now();
            std::fs::remove_file(&ready_file).expect("remove ready file");
            reach(
                "every watcher told NOT_SERVING",
                &tally.not_serving,
                watchers,
                EVENT_TIMEOUT,
            )
            .await;
            let down = flipped.elapsed();
            let restored = Instant::now();
            std::fs::write(&ready_file, b"").expect("recreate ready file");
            reach(
                "every watcher told SERVING again",
                &tally.serving,
                2 * watchers,
                EVENT_TIMEOUT,
            )
            .await;
            flip_times = Some((down, restored.elapsed()));
        }
    }
    let elapsed = began.elapsed();
    stop.send_replace(true);
    let watched = join(watch_tasks).await;
    let checks: Vec<Checked> = join(check_tasks).await.into_iter().flatten().collect();
    terminate(&demo);
    let status = tokio::time::timeout(EVENT_TIMEOUT, demo.wait())
        .await
        .expect("demo exits")
        .expect("wait");

    let check_errors = checks.iter().filter(|check| check.answer.is_err()).count();
    let watch_errors: Vec<_> = watched
        .iter()
        .filter(|seen| seen.ended.is_some() || seen.messages != 3)
        .collect();
    // Warm-up: the first second of load grows allocator pools; after it, flat.
    let steady: Vec<u64> = samples
        .iter()
        .filter(|(at, _)| *at >= Duration::from_secs(1))
        .map(|(_, rss)| *rss)
        .collect();
    let (low, high) = (
        steady.iter().copied().min().unwrap_or(0),
        steady.iter().copied().max().unwrap_or(0),
    );
    let (down, up) = flip_times.expect("the flip ran");
    println!(
        "soak: {watchers} watchers (opened in {opening:?}) + {} Checks in {elapsed:?} ({:.0}/s): \
         {check_errors} Check errors, {} watch errors; flip to NOT_SERVING reached all in {down:?}, \
         back to SERVING in {up:?}; RSS KiB: start {rss_start}, with watchers {rss_with_watchers}, \
         steady min {low} max {high}, last {}",
        checks.len(),
        checks.len() as f64 / elapsed.as_secs_f64(),
        watch_errors.len(),
        samples.last().map_or(0, |(_, rss)| *rss),
    );
    assert_eq!(check_errors, 0);
    assert!(
        checks.len() as f64 >= f64::from(per_second) * elapsed.as_secs_f64() * 0.5,
        "the Check load ran ({} Checks)",
        checks.len()
    );
    assert!(watch_errors.is_empty(), "{:?}", watch_errors.first());
    assert!(
        high <= low + low / 10 + 2048,
        "RSS grew from {low} to {high} KiB after warm-up"
    );
    assert!(status.success(), "exit status {status}");
    assert_eq!(checks_done.load(Ordering::SeqCst), checks.len());
}
