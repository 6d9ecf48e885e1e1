//! What each feed event does to the [`RevocationList`]. The feed is input like any
//! other: an event we cannot read is logged and skipped, never a crash.
//!
//! ```text
//! event: snapshot    data {"revocations":[notice,...]}  → RevocationList::replace
//!                    (an unreadable notice inside is skipped and counted)
//! event: revocation  data notice                        → RevocationList::apply
//! anything else                                         → ignored (forward compatible)
//! ```

use serde::Deserialize;
use shared_claims::{Revocation, RevocationNotice};

use super::sse::SseEvent;
use crate::verify::RevocationList;

/// What an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// The view was replaced by a snapshot of this many usable notices.
    Snapshot { notices: usize, skipped: usize },
    /// One notice applied; `key` when it revokes a signing key.
    Revocation { key: bool },
    /// An unreadable snapshot: the view is left as it was and, if it never was
    /// synchronised, stays untrusted. Its id must not be adopted as the cursor.
    BadSnapshot,
    /// An unreadable notice: skipped.
    BadRevocation,
    /// An event type this reader does not know.
    Ignored,
}

impl Applied {
    /// Whether the event's id may become the resumption cursor.
    pub fn advances_cursor(self) -> bool {
        !matches!(self, Applied::BadSnapshot)
    }
}

/// The snapshot read leniently: one notice of an unknown shape must not cost the
/// whole view.
#[derive(Deserialize)]
struct SnapshotWire {
    revocations: Vec<serde_json::Value>,
}

pub(crate) fn apply_event(list: &RevocationList, event: &SseEvent, now: i64) -> Applied {
    match event.event.as_str() {
        "snapshot" => {
            let Ok(snapshot) = serde_json::from_str::<SnapshotWire>(&event.data) else {
                return Applied::BadSnapshot;
            };
            let total = snapshot.revocations.len();
            let notices: Vec<RevocationNotice> =
                snapshot.revocations.into_iter().filter_map(|value| serde_json::from_value(value).ok()).collect();
            list.replace(&notices, now);
            Applied::Snapshot { notices: notices.len(), skipped: total - notices.len() }
        }
        "revocation" => match serde_json::from_str::<RevocationNotice>(&event.data) {
            Ok(notice) => {
                list.apply(&notice, now);
                Applied::Revocation { key: matches!(notice.revocation, Revocation::Key { .. }) }
            }
            Err(_) => Applied::BadRevocation,
        },
        _ => Applied::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn event(kind: &str, data: &str) -> SseEvent {
        SseEvent { event: kind.into(), data: data.into(), last_event_id: "1".into() }
    }

    #[test]
    fn applies_snapshots_and_notices() {
        let list = RevocationList::new();
        let notice = format!(r#"{{"type":"token","jti":"j","expires_at":{}}}"#, NOW + 60);
        assert_eq!(apply_event(&list, &event("revocation", &notice), NOW), Applied::Revocation { key: false });
        assert!(list.revokes("j", None, "a", NOW));
        let snapshot = format!(
            r#"{{"revocations":[{{"type":"key","kid":"k","expires_at":{}}},{{"type":"future","x":1}}]}}"#,
            NOW + 60
        );
        let applied = apply_event(&list, &event("snapshot", &snapshot), NOW);
        assert_eq!(applied, Applied::Snapshot { notices: 1, skipped: 1 });
        assert!(!list.revokes("j", None, "a", NOW), "the snapshot replaced the view");
        assert!(crate::verify::RevocationCheck::key_revoked(&list, "k"));
    }

    #[test]
    fn unreadable_events_are_skipped() {
        let list = RevocationList::new();
        assert_eq!(apply_event(&list, &event("revocation", "{not json"), NOW), Applied::BadRevocation);
        assert_eq!(apply_event(&list, &event("revocation", r#"{"type":"token"}"#), NOW), Applied::BadRevocation);
        let bad = apply_event(&list, &event("snapshot", r#"{"revocations":3}"#), NOW);
        assert_eq!(bad, Applied::BadSnapshot);
        assert!(!bad.advances_cursor());
        assert_eq!(apply_event(&list, &event("message", "hello"), NOW), Applied::Ignored);
        assert!(list.is_empty());
    }
}
