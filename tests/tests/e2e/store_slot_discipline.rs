//! The Redis store keeps to one hash slot per atomic step, as Redis Cluster requires
//! (it refuses anything else with `CROSSSLOT`), checked on a single node where
//! nothing would refuse it: the store contract suite runs on a `RedisStore` while
//! `MONITOR` logs every command, then
//!
//! ```text
//! atomic_units    each client command alone; a script invocation with the commands
//!                 its body ran (`[0 lua]` lines after its EVALSHA); a MULTI…EXEC block
//! keys            COMMAND GETKEYS on the server, for every logged command
//! cross_slot      the units whose keys hash to more than one slot (key_slot)
//! ```
//!
//! Pipelines do not show in `MONITOR` (each of their commands is routed alone); one
//! whose commands the cluster client cannot route fails the contract run on a cluster.

use std::collections::{BTreeMap, HashMap};

use auth_server::store::{contract_tests, RedisStore};
use tests::key_slot::key_slot;
use tests::redis_monitor::{Logged, Source};
use tests::resp::{Connection, Reply};
use tests::{RedisMonitor, RedisServer};

/// Commands that run a script whose body's commands follow as `[0 lua]` lines.
const SCRIPT_COMMANDS: [&str; 6] = ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"];

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Command,
    Script,
    Transaction,
}

/// Commands that Redis runs as one step, so that must share one slot.
#[derive(Debug)]
struct Unit {
    kind: Kind,
    /// Indices into the log.
    members: Vec<usize>,
}

/// Groups the log into atomic units: a script's body lines join the script line
/// before them, commands between a client's MULTI and EXEC join that block.
fn atomic_units(logged: &[Logged]) -> Result<Vec<Unit>, String> {
    let mut units: Vec<Unit> = Vec::new();
    let mut transactions: HashMap<&str, usize> = HashMap::new();
    let mut script: Option<usize> = None;
    for (index, entry) in logged.iter().enumerate() {
        let client = match &entry.source {
            Source::Lua => {
                let unit = script.ok_or_else(|| format!("a script's command with no script before it: {entry:?}"))?;
                units[unit].members.push(index);
                continue;
            }
            Source::Client(client) => client.as_str(),
        };
        script = None;
        let name = entry.name();
        let unit = match (name.as_str(), transactions.get(client)) {
            ("MULTI", _) => {
                units.push(Unit { kind: Kind::Transaction, members: vec![index] });
                transactions.insert(client, units.len() - 1);
                continue;
            }
            ("EXEC" | "DISCARD", Some(&unit)) => {
                units[unit].members.push(index);
                transactions.remove(client);
                continue;
            }
            (_, Some(&unit)) => {
                units[unit].members.push(index);
                unit
            }
            (_, None) => {
                let kind = if SCRIPT_COMMANDS.contains(&name.as_str()) { Kind::Script } else { Kind::Command };
                units.push(Unit { kind, members: vec![index] });
                units.len() - 1
            }
        };
        if SCRIPT_COMMANDS.contains(&name.as_str()) {
            script = Some(unit);
        }
    }
    match transactions.keys().next() {
        Some(client) => Err(format!("a MULTI of {client} without EXEC")),
        None => Ok(units),
    }
}

/// The units whose keys (`keys[i]` are those of `logged[i]`) lie in more than one
/// slot, each described with its commands and every key's slot.
fn cross_slot(units: &[Unit], logged: &[Logged], keys: &[Vec<Vec<u8>>]) -> Vec<String> {
    let mut violations = Vec::new();
    for unit in units {
        let mut slots: BTreeMap<u16, Vec<String>> = BTreeMap::new();
        for &member in &unit.members {
            for key in &keys[member] {
                slots.entry(key_slot(key)).or_default().push(String::from_utf8_lossy(key).into_owned());
            }
        }
        if slots.len() > 1 {
            let commands: Vec<String> = unit.members.iter().map(|&member| logged[member].name()).collect();
            violations.push(format!("{:?} {commands:?} touches slots {slots:?}", unit.kind));
        }
    }
    violations
}

/// The keys of one logged command, as the server finds them (`COMMAND GETKEYS`); none
/// for a command that takes no keys by its `COMMAND INFO` (first key 0).
async fn keys_of(connection: &mut Connection, entry: &Logged, keyless: &mut HashMap<String, bool>) -> Vec<Vec<u8>> {
    let mut args: Vec<&[u8]> = vec![b"COMMAND", b"GETKEYS"];
    args.extend(entry.args.iter().map(Vec::as_slice));
    let name = entry.name();
    match connection.command(&args).await.expect("COMMAND GETKEYS") {
        Reply::Array(Some(keys)) => keys
            .into_iter()
            .map(|key| match key {
                Reply::Bulk(Some(key)) => key,
                other => panic!("COMMAND GETKEYS {name}: a key that is not a string: {other:?}"),
            })
            .collect(),
        Reply::Error(error) => {
            if !keyless.contains_key(&name) {
                let info = connection.command(&["COMMAND", "INFO", name.as_str()]).await.expect("COMMAND INFO");
                let first_key = info.items().first().and_then(|command| command.items().get(3).cloned());
                keyless.insert(name.clone(), first_key == Some(Reply::Integer(0)));
            }
            assert!(keyless[&name], "COMMAND GETKEYS {name} failed, yet it takes keys: {error}");
            Vec::new()
        }
        other => panic!("COMMAND GETKEYS {name}: {other:?}"),
    }
}

#[tokio::test]
async fn every_atomic_step_of_the_redis_store_stays_in_one_slot() {
    let redis = RedisServer::start().await;
    let monitor = RedisMonitor::start(&redis).await;
    let store = RedisStore::connect(&redis.url(), [9u8; 32]).await.expect("connect to the private redis-server");
    contract_tests::run_all(&store).await;
    let logged = monitor.finish().await;

    let mut connection = Connection::connect(redis.endpoint()).await.expect("connect for COMMAND GETKEYS");
    let mut keyless = HashMap::new();
    let mut keys = Vec::with_capacity(logged.len());
    for entry in &logged {
        keys.push(keys_of(&mut connection, entry, &mut keyless).await);
    }
    let units = atomic_units(&logged).unwrap_or_else(|why| panic!("{why}"));
    let count = |kind: Kind| units.iter().filter(|unit| unit.kind == kind).count();
    let (scripts, transactions) = (count(Kind::Script), count(Kind::Transaction));
    let keyed = keys.iter().filter(|keys| !keys.is_empty()).count();
    eprintln!(
        "slot discipline: {} commands checked ({keyed} with keys) in {} atomic units: {scripts} script \
         invocations, {transactions} MULTI/EXEC blocks",
        logged.len(),
        units.len()
    );
    // A log that missed the suite would pass vacuously.
    assert!(scripts > 0 && transactions > 0 && keyed > 100, "too little was logged to judge");
    let violations = cross_slot(&units, &logged, &keys);
    assert!(violations.is_empty(), "atomic steps across hash slots:\n{}", violations.join("\n"));
}

fn logged(source: &str, args: &[&str]) -> Logged {
    let source = if source == "lua" { Source::Lua } else { Source::Client(source.to_owned()) };
    Logged { source, args: args.iter().map(|arg| arg.as_bytes().to_vec()).collect() }
}

/// The grouping and the check, on a made-up log whose keys are every argument
/// starting with `k`.
#[test]
fn cross_slot_scripts_and_transactions_are_reported_and_single_commands_grouped_alone() {
    let log = [
        logged("c1", &["MULTI"]),
        logged("c2", &["GET", "k{b}"]),
        logged("c1", &["SET", "k{a}1", "v"]),
        logged("c1", &["SET", "k{b}2", "v"]),
        logged("c1", &["EXEC"]),
        logged("c2", &["EVALSHA", "sha", "1", "k{a}"]),
        logged("lua", &["HSET", "k{a}", "f", "v"]),
        logged("lua", &["DEL", "k{c}"]),
        logged("c2", &["EVALSHA", "sha", "1", "k{d}"]),
        logged("lua", &["GET", "k{d}"]),
        logged("c1", &["GET", "k{e}"]),
    ];
    let keys: Vec<Vec<Vec<u8>>> =
        log.iter().map(|entry| entry.args.iter().filter(|arg| arg.starts_with(b"k")).cloned().collect()).collect();
    let units = atomic_units(&log).unwrap();
    let shapes: Vec<(&Kind, &[usize])> = units.iter().map(|unit| (&unit.kind, unit.members.as_slice())).collect();
    assert_eq!(
        shapes,
        [
            (&Kind::Transaction, &[0, 2, 3, 4][..]),
            (&Kind::Command, &[1][..]),
            (&Kind::Script, &[5, 6, 7][..]),
            (&Kind::Script, &[8, 9][..]),
            (&Kind::Command, &[10][..]),
        ]
    );
    let violations = cross_slot(&units, &log, &keys);
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(violations[0].starts_with("Transaction"), "{violations:#?}");
    assert!(violations[1].starts_with("Script"), "{violations:#?}");

    assert!(atomic_units(&[logged("lua", &["GET", "k"])]).is_err(), "a script line needs its script");
    assert!(atomic_units(&[logged("c1", &["MULTI"])]).is_err(), "a block needs its EXEC");
}
