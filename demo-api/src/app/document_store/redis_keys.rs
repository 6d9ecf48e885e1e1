//! The Redis key layout of the document store:
//!
//! | key                    | type   | holds                                            |
//! |------------------------|--------|--------------------------------------------------|
//! | `docs:{<owner>}`       | list   | the owner's documents (JSON), oldest first       |
//! | `docs:{<owner>}:bytes` | string | their bytes of titles and contents, in total     |
//! | `docs:owners`          | set    | the owner keys with documents (the owner bound)  |
//!
//! An owner's two keys share one hash tag (the part in `{...}`), so the script that
//! checks the owner's bounds and adds a document touches one slot, as Redis Cluster
//! requires. Owner keys come from token subjects, which users and operators choose:
//! inside the tag they are percent-encoded (`%`, `{`, `}`, space, control and
//! non-ASCII characters become `%XX`), so a tag never holds a brace and two owners
//! never share a key. `docs:owners` has no tag and no owner's key can be spelt like it.
//! (An empty owner key would leave an empty tag, which Cluster ignores; the API's
//! owner keys never are: `user:<sub>` or `client:<sub>`.)

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What is encoded inside a hash tag; `%` itself, so that the encoding is injective.
const IN_TAG: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'{').add(b'}');

/// The set of owners, for the bound on their number.
pub(super) const OWNERS: &str = "docs:owners";

/// The keys of one owner.
pub(super) struct OwnerKeys {
    pub(super) documents: String,
    pub(super) bytes: String,
}

impl OwnerKeys {
    pub(super) fn new(owner_key: &str) -> Self {
        let tag = utf8_percent_encode(owner_key, IN_TAG);
        Self { documents: format!("docs:{{{tag}}}"), bytes: format!("docs:{{{tag}}}:bytes") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash tag as Redis Cluster computes it: the text between the first `{`
    /// and the first `}` after it, when non-empty.
    fn hash_tag(key: &str) -> Option<&str> {
        let open = key.find('{')?;
        let close = key[open + 1..].find('}')? + open + 1;
        (close > open + 1).then(|| &key[open + 1..close])
    }

    #[test]
    fn an_owners_keys_share_one_tag_holding_the_whole_owner() {
        let cases = [
            ("user:alice", "user:alice"),
            ("a{b}", "a%7Bb%7D"),
            ("x}:bytes", "x%7D:bytes"),
            ("50% off", "50%25%20off"),
            ("é\n", "%C3%A9%0A"),
        ];
        for (owner, tag) in cases {
            let keys = OwnerKeys::new(owner);
            assert_eq!(keys.documents, format!("docs:{{{tag}}}"), "{owner:?}");
            assert_eq!(hash_tag(&keys.documents), Some(tag), "{owner:?}");
            assert_eq!(hash_tag(&keys.bytes), Some(tag), "{owner:?}");
        }
    }

    #[test]
    fn no_owner_key_is_the_owner_set() {
        assert_eq!(hash_tag(OWNERS), None);
        assert_ne!(OwnerKeys::new("owners").documents, OWNERS);
    }
}
