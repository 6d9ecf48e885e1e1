//! What each feed event does to the [`RevocationList`]. The feed is input like any
//! other: an event we cannot read is never a crash. But it may have carried a
//! revocation, so it is never skipped silently either: the follower stops trusting the
//! view and resynchronises from a fresh snapshot (see [`Applied::loses_revocations`]).
//!
//! ```text
//! event: snapshot    data {"revocations":[notice,...]}  → RevocationList::replace
//!                    (an unreadable notice inside: the readable ones are added to
//!                    the view, nothing is forgotten, and the view is incomplete)
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
    /// The view was replaced by a snapshot of this many notices.
    Snapshot { notices: usize },
    /// A snapshot holding `skipped` notices we could not read: the `notices` readable
    /// ones were added to the view (a revocation we knew is not forgotten because a
    /// snapshot came garbled), but the view is incomplete.
    PartialSnapshot { notices: usize, skipped: usize },
    /// One notice applied; `key` when it revokes a signing key.
    Revocation { key: bool },
    /// An unreadable snapshot: the view is left as it was, and is incomplete.
    BadSnapshot,
    /// An unreadable notice: a revocation may have been lost.
    BadRevocation,
    /// An event type this reader does not know.
    Ignored,
}

impl Applied {
    /// Whether the event's id may become the resumption cursor: only an event applied
    /// in full. Resuming after anything else would never deliver again what it lost;
    /// an ignored event of an unknown type is simply sent again, at no cost.
    pub fn advances_cursor(self) -> bool {
        matches!(self, Applied::Snapshot { .. } | Applied::Revocation { .. })
    }

    /// Whether a revocation may have been lost: the view must not be trusted until a
    /// fresh snapshot replaces it.
    pub fn loses_revocations(self) -> bool {
        matches!(self, Applied::PartialSnapshot { .. } | Applied::BadSnapshot | Applied::BadRevocation)
    }
}

/// The snapshot read leniently: one notice of an unknown shape must not cost the
/// revocations the others carry.
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
            let skipped = total - notices.len();
            if skipped == 0 {
                list.replace(&notices, now);
                return Applied::Snapshot { notices: notices.len() };
            }
            // Incomplete: replacing would forget what the unreadable notices may still
            // revoke. Merge instead; the follower resynchronises.
            for notice in &notices {
                list.apply(notice, now);
            }
            Applied::PartialSnapshot { notices: notices.len(), skipped }
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
        let applied = apply_event(&list, &event("revocation", &notice), NOW);
        assert_eq!(applied, Applied::Revocation { key: false });
        assert!(applied.advances_cursor() && !applied.loses_revocations());
        assert!(list.revokes("j", None, "a", NOW));
        let snapshot = format!(r#"{{"revocations":[{{"type":"key","kid":"k","expires_at":{}}}]}}"#, NOW + 60);
        let applied = apply_event(&list, &event("snapshot", &snapshot), NOW);
        assert_eq!(applied, Applied::Snapshot { notices: 1 });
        assert!(applied.advances_cursor() && !applied.loses_revocations());
        assert!(!list.revokes("j", None, "a", NOW), "the snapshot replaced the view");
        assert!(crate::verify::RevocationCheck::key_revoked(&list, "k"));
    }

    #[test]
    fn a_snapshot_with_an_unreadable_notice_adds_what_it_can_and_forgets_nothing() {
        let list = RevocationList::new();
        let notice = format!(r#"{{"type":"token","jti":"j","expires_at":{}}}"#, NOW + 60);
        apply_event(&list, &event("revocation", &notice), NOW);
        let snapshot = format!(
            r#"{{"revocations":[{{"type":"key","kid":"k","expires_at":{}}},{{"type":"future","x":1}}]}}"#,
            NOW + 60
        );
        let applied = apply_event(&list, &event("snapshot", &snapshot), NOW);
        assert_eq!(applied, Applied::PartialSnapshot { notices: 1, skipped: 1 });
        assert!(!applied.advances_cursor());
        assert!(applied.loses_revocations());
        assert!(list.revokes("j", None, "a", NOW), "what was known is kept");
        assert!(crate::verify::RevocationCheck::key_revoked(&list, "k"), "what was readable is added");
    }

    #[test]
    fn unreadable_events_never_advance_the_cursor_and_lose_revocations() {
        let list = RevocationList::new();
        for applied in [
            apply_event(&list, &event("revocation", "{not json"), NOW),
            apply_event(&list, &event("revocation", r#"{"type":"token"}"#), NOW),
        ] {
            assert_eq!(applied, Applied::BadRevocation);
            assert!(!applied.advances_cursor() && applied.loses_revocations());
        }
        let bad = apply_event(&list, &event("snapshot", r#"{"revocations":3}"#), NOW);
        assert_eq!(bad, Applied::BadSnapshot);
        assert!(!bad.advances_cursor() && bad.loses_revocations());
        let ignored = apply_event(&list, &event("message", "hello"), NOW);
        assert_eq!(ignored, Applied::Ignored);
        assert!(!ignored.advances_cursor() && !ignored.loses_revocations());
        assert!(list.is_empty());
    }
}
