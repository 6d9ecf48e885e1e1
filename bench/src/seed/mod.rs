//! A large store seeded straight into the private Redis, in seconds: users, their
//! login sessions with the users' session indexes, and revocations in force, written
//! as the auth server writes them ([`records`]) over one pipelined connection.
//!
//! ```text
//! seed(redis, size, now)
//!   ├─ HGET as:{clients} bench-web     the client's registration, which sessions carry
//!   ├─ one Argon2id hash (the auth server's parameters) shared by every seeded user
//!   ├─ writer thread: MSET users (1 000 a command), 6 commands per session,
//!   │                 HSET + ZADD revocations (1 000 a command), then PING
//!   └─ reader: counts the replies until PONG, keeps the first error
//! ```

pub mod records;

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::time::Instant;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;

use self::records::{SeededRevocation, SeededSession};
use crate::resp::{self, Redis, Reply};

/// The password of every seeded user.
pub const PASSWORD: &str = "seeded-user-password";
/// Keys (users, revocations) per MSET, HSET or ZADD.
const BATCH: usize = 1_000;
/// One in this many revocations is of a session; the others of access tokens.
const SESSION_REVOCATION_EVERY: usize = 10;
/// How long seeded revocations stay in force at least: past any run's end.
const REVOCATION_MIN_LIFE: i64 = 1_800;

/// How much state to add.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct StateSize {
    pub users: usize,
    /// One per user (round robin past the number of users).
    pub sessions: usize,
    pub revocations: usize,
}

impl StateSize {
    pub const FULL: StateSize = StateSize { users: 1_000_000, sessions: 1_000_000, revocations: 300_000 };

    /// [`Self::FULL`] times `scale` (at least one of each).
    pub fn scaled(scale: f64) -> Self {
        let of = |n: usize| ((n as f64 * scale).round() as usize).max(1);
        Self { users: of(Self::FULL.users), sessions: of(Self::FULL.sessions), revocations: of(Self::FULL.revocations) }
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub size: StateSize,
    pub token_revocations: usize,
    pub session_revocations: usize,
    pub commands: u64,
    pub seconds: f64,
    /// Some users and their session, to check that the auth server reads them.
    pub samples: Vec<(String, String)>,
}

pub fn seed(redis: SocketAddr, size: StateSize, now: i64) -> Result<Seeded, String> {
    let started = Instant::now();
    let mut connection = Redis::connect(redis).map_err(|e| format!("redis {redis}: {e}"))?;
    let registration = client_registration(&mut connection)?;
    let password_hash = password_hash()?;
    let mut ids = Ids::new();
    let (writer, mut reader) = connection.split();
    let sample_at = [0, size.users / 2, size.users.saturating_sub(1)];

    let (written, replies) = std::thread::scope(|scope| {
        let reading = scope.spawn(move || read_replies(&mut reader));
        let written = write_state(writer, size, now, &password_hash, &registration, &mut ids, &sample_at);
        (written, reading.join().unwrap_or_else(|_| Err("the reply reader panicked".into())))
    });
    let (commands, samples, session_revocations) = written?;
    let answered = replies?;
    if answered != commands {
        return Err(format!("{commands} commands sent, {answered} answered"));
    }
    Ok(Seeded {
        size,
        token_revocations: size.revocations - session_revocations,
        session_revocations,
        commands,
        seconds: started.elapsed().as_secs_f64(),
        samples,
    })
}

/// The `registration` of `bench-web`'s client record: sessions remember it.
fn client_registration(connection: &mut Redis) -> Result<String, String> {
    let reply = connection.command(&["HGET", records::CLIENTS_KEY, records::CLIENT]).map_err(|e| e.to_string())?;
    let record = reply.text().ok_or_else(|| format!("no client {} in the store", records::CLIENT))?;
    let record: serde_json::Value = serde_json::from_str(&record).map_err(|e| format!("client record: {e}"))?;
    Ok(record.get("registration").and_then(|r| r.as_str()).unwrap_or_default().to_owned())
}

/// An Argon2id PHC string with the auth server's parameters (m=19456 KiB, t=2, p=1).
fn password_hash() -> Result<String, String> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| e.to_string())?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(&Ids::new().bytes16()).map_err(|e| e.to_string())?;
    Ok(argon2.hash_password(PASSWORD.as_bytes(), &salt).map_err(|e| e.to_string())?.to_string())
}

type Written = (u64, Vec<(String, String)>, usize);

/// Streams every command, then `PING`. Returns the commands sent, the samples and
/// how many revocations were of sessions.
fn write_state(
    stream: std::net::TcpStream,
    size: StateSize,
    now: i64,
    password_hash: &str,
    registration: &str,
    ids: &mut Ids,
    sample_at: &[usize],
) -> Result<Written, String> {
    let mut out = Pipe { writer: BufWriter::with_capacity(1 << 20, stream), buf: Vec::new(), sent: 0 };
    for first in (0..size.users).step_by(BATCH) {
        let mut args = vec!["MSET".to_owned()];
        for index in first..(first + BATCH).min(size.users) {
            let name = records::username(index);
            args.push(records::user_key(&name));
            args.push(records::user_json(&name, password_hash));
        }
        out.send(&args)?;
    }
    let mut samples = Vec::new();
    for index in 0..size.sessions {
        let age = ids.below(72_000) as i64;
        let rotated = index % 2 == 1;
        let created_at = now - age;
        let session = SeededSession {
            sid: ids.id(),
            username: records::username(index % size.users.max(1)),
            client_registration: registration.to_owned(),
            created_at,
            last_used: if rotated { created_at + age / 2 } else { created_at },
            refresh_jti: ids.id(),
            previous_jti: rotated.then(|| ids.id()),
            login_millis: ids.below(1_000) as u32,
        };
        if sample_at.contains(&index) && samples.iter().all(|(user, _)| *user != session.username) {
            samples.push((session.username.clone(), session.sid.clone()));
        }
        for command in session.commands() {
            out.send(&command)?;
        }
    }
    let mut session_revocations = 0;
    for first in (0..size.revocations).step_by(BATCH) {
        let mut data = vec!["HSET".to_owned(), records::REVOCATIONS_DATA.to_owned()];
        let mut live = vec!["ZADD".to_owned(), records::REVOCATIONS_LIVE.to_owned()];
        for index in first..(first + BATCH).min(size.revocations) {
            let expires_at = now + REVOCATION_MIN_LIFE + ids.below(1_800) as i64;
            let revocation = if index % SESSION_REVOCATION_EVERY == 0 {
                session_revocations += 1;
                SeededRevocation::Session { sid: ids.id(), expires_at }
            } else {
                SeededRevocation::Token { jti: ids.id(), expires_at }
            };
            data.extend([revocation.key(), revocation.json()]);
            live.extend([revocation.expires_at().to_string(), revocation.key()]);
        }
        out.send(&data)?;
        out.send(&live)?;
    }
    out.send(&["PING".to_owned()])?;
    out.writer.flush().map_err(|e| format!("writing to redis: {e}"))?;
    Ok((out.sent, samples, session_revocations))
}

struct Pipe {
    writer: BufWriter<std::net::TcpStream>,
    buf: Vec<u8>,
    sent: u64,
}

impl Pipe {
    fn send(&mut self, args: &[String]) -> Result<(), String> {
        self.buf.clear();
        resp::encode(&mut self.buf, &args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        self.writer.write_all(&self.buf).map_err(|e| format!("writing to redis: {e}"))?;
        self.sent += 1;
        Ok(())
    }
}

/// Reads replies until the final `PONG`; returns how many (the `PONG` included).
fn read_replies(reader: &mut impl BufRead) -> Result<u64, String> {
    let mut count = 0;
    let mut first_error = None;
    loop {
        let reply = resp::read_reply(reader).map_err(|e| format!("reading from redis: {e}"))?;
        count += 1;
        match reply {
            Reply::Simple(text) if text == "PONG" => break,
            Reply::Error(message) => {
                first_error.get_or_insert(message);
            }
            _ => {}
        }
    }
    match first_error {
        Some(message) => Err(format!("redis refused a seeding command: {message}")),
        None => Ok(count),
    }
}

/// Random identifiers like the auth server's (16 bytes, base64url without padding),
/// from a SplitMix64 sequence: uniqueness is all the seeding needs, not secrecy.
struct Ids(u64);

impl Ids {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        Self(nanos as u64 ^ u64::from(std::process::id()).rotate_left(32))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        bytes
    }

    fn id(&mut self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_the_auth_servers() {
        let mut ids = Ids::new();
        let (a, b) = (ids.id(), ids.id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn the_full_state_scales_down() {
        let quick = StateSize::scaled(0.05);
        assert_eq!((quick.users, quick.sessions, quick.revocations), (50_000, 50_000, 15_000));
        assert_eq!(StateSize::scaled(1.0).users, 1_000_000);
    }
}
