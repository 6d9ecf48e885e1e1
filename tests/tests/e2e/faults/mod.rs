//! Fault injection under load, with real processes on 127.0.0.1: what users must not
//! notice (nothing acknowledged lost, no hang, no error other than a clean 503) when
//! Redis, an auth-server replica or the network fails. Every wait is bounded; every
//! process belongs to the test and dies with it. Each test prints a summary line:
//! requests by outcome and the recovery time.

mod auth_kill_refresh_race;
mod cluster_failover;
mod load;
mod redis_kill;
mod replica_kill;
mod resource_cut;
mod tally;
