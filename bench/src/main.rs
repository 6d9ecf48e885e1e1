//! `bench-tool`: the benchmark suite's one binary. `bench/run.sh` builds it, starts
//! the processes under test (the `serve-*` subcommands are two of them) and calls
//! `run`, which measures every case and writes the results.
//!
//! ```text
//! bench-tool serve-empty  --bind ADDR                      ceiling: empty actix-web route
//! bench-tool serve-verify --bind ADDR --jwks F --issuer I   ceiling: bare verify route
//! bench-tool free-port                                      a free loopback port (for Redis)
//! bench-tool run --auth NAME=URL@PID --rs ... --out DIR     every case → latest.{json,md,svg}
//! bench-tool seed --redis ADDR [--scale S]                  ad hoc: the growth cases' large state
//! bench-tool report --out DIR                               re-render latest.md/svg from latest.json
//! bench-tool soak --auth ... --rs-local ... --out DIR        the soak (run it through bench/soak.sh)
//! bench-tool soak-report --out DIR                          re-render soak-latest.md/svg
//! bench-tool balance --bind ADDR --to ADDR --to ADDR        round-robin TCP relay (the soak's balancer)
//! bench-tool grant URL --grant G [--ceiling]                ad hoc: one token grant, rate per slice
//! ```

mod argon2_ceiling;
mod balance;
mod cases;
mod cpu;
mod grant;
mod http1;
mod load;
mod machine;
mod oauth;
mod openssl_ceiling;
mod redis_info;
mod report_md;
mod report_svg;
mod resp;
mod results;
mod rss;
mod seed;
mod serve_empty;
mod serve_verify;
mod soak;
mod spawn;
mod stats;
mod topology;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::results::Results;
use crate::topology::{Service, Topology};

#[derive(Parser)]
#[command(name = "bench-tool", about = "The benchmark suite (run it through bench/run.sh)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an empty actix-web route at GET /empty.
    ServeEmpty {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
    },
    /// Serve GET /verify: the resource-server library's verification and nothing else.
    ServeVerify {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
        /// The auth server's JWKS document, saved to a file.
        #[arg(long)]
        jwks: String,
        #[arg(long)]
        issuer: String,
        #[arg(long, default_value = "documents-api")]
        audience: String,
    },
    /// Print a free TCP port of 127.0.0.1.
    FreePort,
    /// Run every case against the processes given, write latest.{json,md,svg} to --out.
    Run(RunArgs),
    /// Ad hoc: GET one URL of 127.0.0.1 on N connections for a while, print the rate.
    Load {
        /// http://127.0.0.1:PORT/path
        url: String,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// An `Authorization: Bearer` token to send.
        #[arg(long)]
        bearer: Option<String>,
        /// A file of tokens, one a line, sent in turn (a distinct token per request).
        #[arg(long, conflicts_with = "bearer")]
        bearer_file: Option<PathBuf>,
        /// Open loop: this many requests per second in all, each timed from when it
        /// was due (closed loop without it).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// Ad hoc: mint access tokens with client_credentials (the bench bootstrap's
    /// `bench-client`) and write them one a line, for `load --bearer-file`.
    Mint {
        /// The auth server, http://127.0.0.1:PORT
        auth: String,
        #[arg(long, default_value_t = 24_000)]
        count: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Ad hoc: one grant of the token endpoint under load (the bench bootstrap's
    /// clients), its rate per slice, optionally as a ratio to the RSA signing ceiling.
    Grant {
        /// The auth server, http://127.0.0.1:PORT
        auth: String,
        #[arg(long, value_enum)]
        grant: grant::Grant,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Seconds per slice (after 1 s of warm-up).
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Run `openssl speed` (3 s, every core) before and after each slice.
        #[arg(long)]
        ceiling: bool,
    },
    /// Ad hoc: the Argon2id ceiling alone (verifications per second, one thread per core).
    Argon2 {
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Ad hoc: write the growth cases' large state into a Redis the auth server of
    /// bench/bootstrap.toml has started on (its client `bench-web` must be there).
    Seed {
        /// 127.0.0.1:PORT
        #[arg(long)]
        redis: std::net::SocketAddr,
        /// Share of the full state (1 000 000 users and sessions, 300 000 revocations).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Render latest.md and latest.svg again from latest.json.
    Report {
        #[arg(long)]
        out: PathBuf,
    },
    /// A long mixed load against a whole stack; writes soak-latest.{json,md,svg}.
    Soak(soak::SoakArgs),
    /// Render soak-latest.md and soak-latest.svg again from soak-latest.json.
    SoakReport {
        #[arg(long)]
        out: PathBuf,
    },
    /// Relay each TCP connection to the next of the targets in turn (a load balancer).
    Balance {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
        /// 127.0.0.1:PORT, given once per target.
        #[arg(long, required = true)]
        to: Vec<std::net::SocketAddr>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Each service as NAME=http://127.0.0.1:PORT@PID.
    #[arg(long)]
    auth: String,
    /// Local-mode resource servers (the first is the one put under load).
    #[arg(long = "rs-local", required = true)]
    rs_local: Vec<String>,
    #[arg(long)]
    rs_introspect: String,
    #[arg(long)]
    empty: String,
    #[arg(long)]
    verify: String,
    #[arg(long)]
    peer: Option<String>,
    /// Why the peer is missing (shown in the results).
    #[arg(long)]
    peer_missing: Option<String>,
    /// Other processes whose memory is reported, as NAME=PID.
    #[arg(long = "watch")]
    watch: Vec<String>,
    /// The auth server's private Redis, 127.0.0.1:PORT: Redis commands per operation,
    /// and the growth cases' seeding.
    #[arg(long)]
    redis: Option<std::net::SocketAddr>,
    /// The resource server binary, to start new ones (growth cases).
    #[arg(long)]
    rs_binary: Option<PathBuf>,
    /// Where the resource servers it starts write their logs.
    #[arg(long, default_value = ".")]
    log_dir: PathBuf,
    /// A file to append the pid of each process it starts to (for the caller's cleanup).
    #[arg(long)]
    spawned_pids: Option<PathBuf>,
    /// The growth cases' large state as a share of the full one; 0.05 in --quick.
    #[arg(long, env = "BENCH_STATE_SCALE")]
    state_scale: Option<f64>,
    #[arg(long, env = "BENCH_DURATION", default_value_t = 10.0)]
    duration: f64,
    #[arg(long)]
    quick: bool,
    /// Slices each case is measured in (its figure is the best slice); 1 in --quick.
    #[arg(long, env = "BENCH_ROUNDS", default_value_t = 3)]
    rounds: u32,
    #[arg(long, env = "BENCH_CONNECTIONS", default_value_t = 32)]
    connections: usize,
    /// Worker threads of the load generator.
    #[arg(long, env = "BENCH_THREADS", default_value_t = 1)]
    threads: usize,
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::ServeEmpty { bind } => {
            actix_web::rt::System::new().block_on(serve_empty::serve(&bind)).map_err(|e| e.to_string())
        }
        Command::ServeVerify { bind, jwks, issuer, audience } => actix_web::rt::System::new()
            .block_on(serve_verify::serve(&bind, &jwks, &issuer, &audience))
            .map_err(|e| e.to_string()),
        Command::FreePort => free_port(),
        Command::Seed { redis, scale } => seed_adhoc(redis, scale),
        Command::Run(args) => run(args),
        Command::Report { out } => report(&out),
        Command::Soak(args) => soak::run(args),
        Command::SoakReport { out } => soak::rerender(&out),
        Command::Balance { bind, to } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(balance::serve(&bind, to)).map_err(|e| e.to_string())),
        Command::Load { url, connections, duration, threads, bearer, bearer_file, rate } => {
            adhoc_load(&url, connections, duration, threads, bearer.as_deref(), bearer_file.as_deref(), rate)
        }
        Command::Mint { auth, count, out } => mint(&auth, count, &out),
        Command::Grant { auth, grant, connections, duration, rounds, ceiling } => grant::run(
            &auth,
            &grant::GrantPlan {
                grant,
                connections,
                duration: Duration::from_secs_f64(duration.max(0.5)),
                rounds,
                ceiling,
            },
        ),
        Command::Argon2 { seconds } => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            argon2_ceiling::verifications_per_sec(cores, Duration::from_secs_f64(seconds.max(0.5)))
                .map(|rate| println!("{rate:.1} Argon2id verifications/s on {cores} threads"))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("bench-tool: {why}");
            ExitCode::FAILURE
        }
    }
}

fn free_port() -> Result<(), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    println!("{port}");
    Ok(())
}

fn run(args: RunArgs) -> Result<(), String> {
    let peer = args.peer.as_deref().map(Service::parse).transpose()?;
    let watch = args
        .watch
        .iter()
        .map(|w| {
            let (name, pid) = w.split_once('=').ok_or("--watch NAME=PID")?;
            Ok(Service {
                name: name.into(),
                addr: ([127, 0, 0, 1], 0).into(),
                pid: pid.parse().map_err(|_| "bad pid")?,
            })
        })
        .collect::<Result<Vec<_>, &str>>()?;
    let topo = Topology {
        auth: Service::parse(&args.auth)?,
        rs_local: args.rs_local.iter().map(|s| Service::parse(s)).collect::<Result<_, _>>()?,
        rs_introspect: Service::parse(&args.rs_introspect)?,
        empty: Service::parse(&args.empty)?,
        verify: Service::parse(&args.verify)?,
        peer,
        peer_missing: args.peer_missing,
        others: watch,
    };
    if let Some(redis) = args.redis {
        if !redis.ip().is_loopback() {
            return Err(format!("{redis}: the benchmark only talks to 127.0.0.1"));
        }
    }
    let extras = cases::Extras {
        redis: args.redis,
        launcher: args.rs_binary.map(|binary| spawn::Launcher {
            binary,
            auth_url: topo.auth.url(),
            log_dir: args.log_dir,
            pid_file: args.spawned_pids,
        }),
    };
    let duration = Duration::from_secs_f64(args.duration.max(0.5));
    let settings = cases::Settings {
        duration,
        warmup: Duration::from_secs_f64((duration.as_secs_f64() / 5.0).clamp(0.2, 2.0)),
        connections: args.connections.max(1),
        generator_threads: args.threads.max(1),
        quick: args.quick,
        rounds: if args.quick { 1 } else { args.rounds.max(1) },
        state_scale: args.state_scale.unwrap_or(if args.quick { 0.05 } else { 1.0 }).clamp(0.0001, 1.0),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.generator_threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let missing = topo.peer_missing.clone();
    let mut results = runtime.block_on(cases::run_all(topo, settings, extras));
    if let Some(why) = missing {
        results.notes.push(format!("peer not measured: {why}"));
    }
    write(&args.out, &results)
}

fn write(out: &Path, results: &Results) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    let put = |name: &str, text: &str| std::fs::write(out.join(name), text).map_err(|e| format!("{name}: {e}"));
    put("latest.json", &json)?;
    put("latest.md", &report_md::render(results))?;
    put("latest.svg", &report_svg::render(results))?;
    println!("\n{}", report_md::render(results));
    Ok(())
}

fn report(out: &Path) -> Result<(), String> {
    let json = std::fs::read_to_string(out.join("latest.json")).map_err(|e| e.to_string())?;
    let results: Results = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    write(out, &results)
}

fn seed_adhoc(redis: std::net::SocketAddr, scale: f64) -> Result<(), String> {
    if !redis.ip().is_loopback() {
        return Err(format!("{redis}: the benchmark only talks to 127.0.0.1"));
    }
    let size = seed::StateSize::scaled(scale.clamp(0.0001, 1.0));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?;
    let seeded = seed::seed(redis, size, i64::try_from(now.as_secs()).unwrap_or(i64::MAX))?;
    println!(
        "{} users, {} sessions, {} token and {} session revocations in {:.1} s ({} commands)",
        size.users,
        size.sessions,
        seeded.token_revocations,
        seeded.session_revocations,
        seeded.seconds,
        seeded.commands
    );
    Ok(())
}

/// A closed loop, or an open one at `rate` requests/s.
async fn drive<W: load::Workload>(plan: load::LoadPlan, rate: Option<f64>, workload: W) -> load::LoadOutcome {
    let workload = std::sync::Arc::new(workload);
    match rate {
        Some(rate) => load::run_paced(plan, rate, workload).await,
        None => load::run(plan, workload).await,
    }
}

fn adhoc_load(
    url: &str,
    connections: usize,
    duration: f64,
    threads: usize,
    bearer: Option<&str>,
    bearer_file: Option<&Path>,
    rate: Option<f64>,
) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let service = Service::parse(&format!("adhoc=http://{authority}@0"))?;
    let path = if path.is_empty() { "/" } else { path };
    let request = match bearer {
        Some(token) => oauth::get_bearer(service.addr, path, token),
        None => oauth::get(service.addr, path),
    };
    let plan = load::LoadPlan {
        addr: service.addr,
        connections: connections.max(1),
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs_f64(duration.max(0.5)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut outcome = match bearer_file {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let requests: Vec<Vec<u8>> =
                text.lines().filter(|l| !l.is_empty()).map(|t| oauth::get_bearer(service.addr, path, t)).collect();
            let workload = workloads::Rotating::new(std::sync::Arc::new(requests), workloads::Accept::Status(200));
            runtime.block_on(drive(plan, rate, workload))
        }
        None => runtime.block_on(drive(plan, rate, workloads::Fixed::status(request, 200))),
    };
    let latency = stats::Latency::of_micros(&mut outcome.latencies_us);
    println!(
        "{:.0} requests/s, {} not 200, {} connection errors, latency {latency:?}",
        outcome.per_sec(),
        outcome.failed,
        outcome.io_errors
    );
    Ok(())
}

fn mint(auth: &str, count: usize, out: &Path) -> Result<(), String> {
    let service = Service::parse(&format!("auth={}@0", auth.trim_end_matches('/')))?;
    let request = cases::cc_request(&service);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let workload = std::sync::Arc::new(workloads::Capturing::new(workloads::Fixed::status(request, 200), count));
    let plan = load::LoadPlan {
        addr: service.addr,
        connections: 32,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(1),
    };
    let mut tokens = Vec::new();
    for _ in 0..600 {
        if tokens.len() >= count {
            break;
        }
        runtime.block_on(load::run(plan, workload.clone()));
        tokens.extend(workload.take_tokens());
    }
    tokens.truncate(count);
    std::fs::write(out, tokens.join("\n")).map_err(|e| e.to_string())?;
    println!("{} tokens written to {}", tokens.len(), out.display());
    Ok(())
}
