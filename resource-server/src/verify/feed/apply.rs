//! What each feed event does to the [`RevocationList`]. The feed is input like any
//! other: an event we cannot read is never a crash. But it may have carried a
//! revocation, so it is never skipped silently either: the follower stops trusting the
//! view and resynchronises from a fresh snapshot (see [`Applied::loses_revocations`]).
//!
//! ```text
//! event: snapshot-begin  data {}                      → a new StagedView (the view in
//!                                                       use is untouched)
//! event: snapshot-page   data {"revocations":[...]}   → added to the StagedView
//! event: snapshot-end    data {"revocations":<total>} → RevocationList::install, if
//!                                                       exactly <total> notices came
//! event: snapshot        data {"revocations":[notice,...]}  → RevocationList::replace
//!                        (one-event form of older auth servers)
//!   an unreadable notice inside a snapshot: the readable ones are added to the view
//!   in use, nothing is forgotten, and the view is incomplete
//! event: revocation      data notice                  → RevocationList::apply
//! anything else                                       → ignored (forward compatible)
//! ```

use shared_claims::feed_protocol::event as wire;
use shared_claims::feed_protocol::{SnapshotEnd, SnapshotPage};
use shared_claims::{Revocation, RevocationNotice};

use super::sse::SseEvent;
use crate::verify::revocation_list::StagedView;
use crate::verify::RevocationList;

/// A paged snapshot being received on the current connection.
#[derive(Debug)]
pub(crate) struct SnapshotInProgress {
    view: StagedView,
    /// Notices received so far, kept or already expired.
    received: usize,
}

/// What an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// The view was replaced by a snapshot of this many notices.
    Snapshot { notices: usize },
    /// A paged snapshot started: its pages are gathered apart until it ends.
    SnapshotBegun,
    /// One page of a paged snapshot, of this many notices.
    SnapshotPage { notices: usize },
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
    pub(super) fn advances_cursor(self) -> bool {
        matches!(self, Applied::Snapshot { .. } | Applied::Revocation { .. })
    }

    /// Whether a revocation may have been lost: the view must not be trusted until a
    /// fresh snapshot replaces it.
    pub(super) fn loses_revocations(self) -> bool {
        matches!(self, Applied::PartialSnapshot { .. } | Applied::BadSnapshot | Applied::BadRevocation)
    }
}

/// Applies one event. `snapshot` is the paged snapshot in progress on this
/// connection, if any; an event that breaks one off (unreadable) drops it.
pub(crate) fn apply_event(
    list: &RevocationList,
    snapshot: &mut Option<SnapshotInProgress>,
    event: &SseEvent,
    now: i64,
) -> Applied {
    match event.event.as_str() {
        wire::SNAPSHOT => {
            let Some((notices, skipped)) = read_notices(&event.data) else {
                return Applied::BadSnapshot;
            };
            if skipped == 0 {
                list.replace(&notices, now);
                return Applied::Snapshot { notices: notices.len() };
            }
            merge_partial(list, &notices, skipped, now)
        }
        wire::SNAPSHOT_BEGIN => {
            *snapshot = Some(SnapshotInProgress { view: list.stage(), received: 0 });
            Applied::SnapshotBegun
        }
        wire::SNAPSHOT_PAGE => {
            let Some(in_progress) = snapshot.as_mut() else {
                return Applied::BadSnapshot;
            };
            let Some((notices, skipped)) = read_notices(&event.data) else {
                *snapshot = None;
                return Applied::BadSnapshot;
            };
            if skipped > 0 {
                *snapshot = None;
                return merge_partial(list, &notices, skipped, now);
            }
            for notice in &notices {
                in_progress.view.add(notice, now);
            }
            in_progress.received += notices.len();
            Applied::SnapshotPage { notices: notices.len() }
        }
        wire::SNAPSHOT_END => {
            let Some(in_progress) = snapshot.take() else {
                return Applied::BadSnapshot;
            };
            match serde_json::from_str::<SnapshotEnd>(&event.data) {
                Ok(end) if end.revocations == in_progress.received => {
                    list.install(in_progress.view);
                    Applied::Snapshot { notices: in_progress.received }
                }
                _ => Applied::BadSnapshot,
            }
        }
        wire::REVOCATION => match serde_json::from_str::<RevocationNotice>(&event.data) {
            Ok(notice) => {
                list.apply(&notice, now);
                Applied::Revocation { key: matches!(notice.revocation, Revocation::Key { .. }) }
            }
            Err(_) => Applied::BadRevocation,
        },
        _ => Applied::Ignored,
    }
}

/// The notices of a snapshot (or page) read leniently, and how many were unreadable;
/// `None` when it is not a snapshot at all.
fn read_notices(data: &str) -> Option<(Vec<RevocationNotice>, usize)> {
    // Leniently: one notice of an unknown shape must not cost the revocations the
    // others carry.
    let snapshot = serde_json::from_str::<SnapshotPage<serde_json::Value>>(data).ok()?;
    let total = snapshot.revocations.len();
    let notices: Vec<RevocationNotice> =
        snapshot.revocations.into_iter().filter_map(|value| serde_json::from_value(value).ok()).collect();
    let skipped = total - notices.len();
    Some((notices, skipped))
}

/// An incomplete snapshot: replacing would forget what the unreadable notices may
/// still revoke. Merge what is readable instead; the follower resynchronises.
fn merge_partial(list: &RevocationList, notices: &[RevocationNotice], skipped: usize, now: i64) -> Applied {
    for notice in notices {
        list.apply(notice, now);
    }
    Applied::PartialSnapshot { notices: notices.len(), skipped }
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
        let applied = apply_event(&list, &mut None, &event("revocation", &notice), NOW);
        assert_eq!(applied, Applied::Revocation { key: false });
        assert!(applied.advances_cursor() && !applied.loses_revocations());
        assert!(list.revokes("j", None, "a", NOW));
        let snapshot = format!(r#"{{"revocations":[{{"type":"key","kid":"k","expires_at":{}}}]}}"#, NOW + 60);
        let applied = apply_event(&list, &mut None, &event("snapshot", &snapshot), NOW);
        assert_eq!(applied, Applied::Snapshot { notices: 1 });
        assert!(applied.advances_cursor() && !applied.loses_revocations());
        assert!(!list.revokes("j", None, "a", NOW), "the snapshot replaced the view");
        assert!(crate::verify::RevocationCheck::key_revoked(&list, "k"));
    }

    #[test]
    fn a_snapshot_with_an_unreadable_notice_adds_what_it_can_and_forgets_nothing() {
        let list = RevocationList::new();
        let notice = format!(r#"{{"type":"token","jti":"j","expires_at":{}}}"#, NOW + 60);
        apply_event(&list, &mut None, &event("revocation", &notice), NOW);
        let snapshot = format!(
            r#"{{"revocations":[{{"type":"key","kid":"k","expires_at":{}}},{{"type":"future","x":1}}]}}"#,
            NOW + 60
        );
        let applied = apply_event(&list, &mut None, &event("snapshot", &snapshot), NOW);
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
            apply_event(&list, &mut None, &event("revocation", "{not json"), NOW),
            apply_event(&list, &mut None, &event("revocation", r#"{"type":"token"}"#), NOW),
        ] {
            assert_eq!(applied, Applied::BadRevocation);
            assert!(!applied.advances_cursor() && applied.loses_revocations());
        }
        let bad = apply_event(&list, &mut None, &event("snapshot", r#"{"revocations":3}"#), NOW);
        assert_eq!(bad, Applied::BadSnapshot);
        assert!(!bad.advances_cursor() && bad.loses_revocations());
        let ignored = apply_event(&list, &mut None, &event("message", "hello"), NOW);
        assert_eq!(ignored, Applied::Ignored);
        assert!(!ignored.advances_cursor() && !ignored.loses_revocations());
        assert!(list.is_empty());
    }

    #[test]
    fn a_paged_snapshot_replaces_the_view_only_once_complete() {
        let list = RevocationList::new();
        let token = |jti: &str| format!(r#"{{"type":"token","jti":"{jti}","expires_at":{}}}"#, NOW + 60);
        apply_event(&list, &mut None, &event("revocation", &token("old")), NOW);
        let mut snapshot = None;
        assert_eq!(apply_event(&list, &mut snapshot, &event("snapshot-begin", "{}"), NOW), Applied::SnapshotBegun);
        let page = format!(r#"{{"revocations":[{},{}]}}"#, token("a"), token("b"));
        let applied = apply_event(&list, &mut snapshot, &event("snapshot-page", &page), NOW);
        assert_eq!(applied, Applied::SnapshotPage { notices: 2 });
        assert!(!applied.advances_cursor() && !applied.loses_revocations());
        assert!(list.revokes("old", None, "x", NOW) && !list.revokes("a", None, "x", NOW), "not yet swapped in");
        let page = format!(r#"{{"revocations":[{}]}}"#, token("c"));
        apply_event(&list, &mut snapshot, &event("snapshot-page", &page), NOW);
        let end = apply_event(&list, &mut snapshot, &event("snapshot-end", r#"{"revocations":3}"#), NOW);
        assert_eq!(end, Applied::Snapshot { notices: 3 });
        assert!(end.advances_cursor());
        assert!(["a", "b", "c"].iter().all(|j| list.revokes(j, None, "x", NOW)));
        assert!(!list.revokes("old", None, "x", NOW), "replaced");

        // A page that went missing (the count disagrees), or an end or a page without
        // a beginning: the view in use stays, and the event loses revocations.
        apply_event(&list, &mut snapshot, &event("snapshot-begin", "{}"), NOW);
        apply_event(&list, &mut snapshot, &event("snapshot-page", &page), NOW);
        let short = apply_event(&list, &mut snapshot, &event("snapshot-end", r#"{"revocations":2}"#), NOW);
        assert_eq!(short, Applied::BadSnapshot);
        assert!(short.loses_revocations());
        assert!(list.revokes("a", None, "x", NOW), "the view in use is kept");
        let orphan = apply_event(&list, &mut None, &event("snapshot-page", &page), NOW);
        assert_eq!(orphan, Applied::BadSnapshot);
        let orphan = apply_event(&list, &mut None, &event("snapshot-end", r#"{"revocations":0}"#), NOW);
        assert_eq!(orphan, Applied::BadSnapshot);
    }
}
