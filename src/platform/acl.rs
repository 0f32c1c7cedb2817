//! Which Windows access lists are owner-only: pure decisions on plain data.
//!
//! The rule is Win32-OpenSSH's for private keys (DESIGN.md "Platforms"): the
//! owner must be the current user, and no access-allowed entry may grant
//! anything to anyone but that user, SYSTEM and Administrators. It lives
//! here, apart from the Win32 calls that read the entries
//! (`windows/security.rs`), so that it is compiled and tested on every
//! platform.

/// SYSTEM (`LocalSystem`): the OS itself; it can read everything anyway.
pub const SYSTEM: &str = "S-1-5-18";
/// BUILTIN\Administrators: can take ownership of anything anyway.
pub const ADMINISTRATORS: &str = "S-1-5-32-544";
/// OWNER RIGHTS: whatever the owner (checked to be the user) may do.
pub const OWNER_RIGHTS: &str = "S-1-3-4";

/// `INHERIT_ONLY_ACE`: the entry applies only to children, not to this object.
pub const INHERIT_ONLY: u8 = 0x08;

/// The kind of an access-control entry (its `AceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AceKind {
    /// `ACCESS_ALLOWED_ACE_TYPE` (0).
    Allow,
    /// `ACCESS_DENIED_ACE_TYPE` (1): takes access away, never grants.
    Deny,
    /// Any other type (object, callback, audit…), by number.
    Other(u8),
}

/// One access-control entry, as read from a DACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// The entry's type.
    pub kind: AceKind,
    /// `AceFlags` (inheritance bits).
    pub flags: u8,
    /// The access mask.
    pub mask: u32,
    /// The trustee, as a string SID (`S-1-5-21-…`); empty when unknown.
    pub sid: String,
}

/// What [`dacl_verdict`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Owned by the user; only the user, SYSTEM and Administrators have access.
    Private,
    /// Owned by someone else.
    OtherOwner {
        /// The owner found.
        owner: String,
    },
    /// No DACL at all: Windows then grants everyone full access.
    NoDacl,
    /// An entry grants `mask` to `sid`.
    Grants {
        /// The trustee.
        sid: String,
        /// What it may do.
        mask: u32,
    },
    /// An entry of a type this rule does not know could grant access.
    Unrecognised {
        /// Its `AceType`.
        ace_type: u8,
    },
}

/// Decides whether an object with `owner` and `dacl` (`None`: a NULL DACL)
/// is owner-only for the user `me`. SIDs are compared as strings, which
/// Windows prints in one canonical form (`S-1-…`, decimal).
pub fn dacl_verdict(owner: &str, dacl: Option<&[Ace]>, me: &str) -> Verdict {
    if owner != me {
        return Verdict::OtherOwner {
            owner: owner.to_owned(),
        };
    }
    let Some(aces) = dacl else {
        return Verdict::NoDacl;
    };
    for ace in aces {
        if ace.flags & INHERIT_ONLY != 0 {
            continue; // applies to children only; they are checked themselves
        }
        match ace.kind {
            AceKind::Deny => {}
            AceKind::Allow if ace.mask == 0 => {}
            AceKind::Allow => {
                let trusted = [me, SYSTEM, ADMINISTRATORS, OWNER_RIGHTS];
                if !trusted.contains(&ace.sid.as_str()) {
                    return Verdict::Grants {
                        sid: ace.sid.clone(),
                        mask: ace.mask,
                    };
                }
            }
            AceKind::Other(ace_type) => return Verdict::Unrecognised { ace_type },
        }
    }
    Verdict::Private
}

/// The security descriptor (SDDL) taskflowd creates its files and folders
/// with: owner `me`, and a protected DACL (`P`: nothing inherited from the
/// parent) with one entry granting `me` full access (`FA`) — inherited by
/// the folder's children (`OICI`) for a folder.
pub fn private_sddl(me: &str, folder: bool) -> String {
    let inherit = if folder { "OICI" } else { "" };
    format!("O:{me}D:P(A;{inherit};FA;;;{me})")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ME: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";
    const OTHER: &str = "S-1-5-21-1004336348-1177238915-682003330-1002";
    const EVERYONE: &str = "S-1-1-0";

    fn allow(sid: &str, mask: u32) -> Ace {
        Ace {
            kind: AceKind::Allow,
            flags: 0,
            mask,
            sid: sid.to_owned(),
        }
    }

    #[test]
    fn only_the_user_system_and_administrators_may_be_granted_access() {
        let private = [
            allow(ME, 0x1f01ff),
            allow(SYSTEM, 0x1f01ff),
            allow(ADMINISTRATORS, 0x1f01ff),
        ];
        assert_eq!(dacl_verdict(ME, Some(&private), ME), Verdict::Private);
        assert_eq!(dacl_verdict(ME, Some(&[]), ME), Verdict::Private);
        for sid in [EVERYONE, OTHER, "S-1-5-32-545" /* Users */] {
            let mut aces = private.to_vec();
            aces.push(allow(sid, 0x1200a9));
            assert_eq!(
                dacl_verdict(ME, Some(&aces), ME),
                Verdict::Grants {
                    sid: sid.to_owned(),
                    mask: 0x1200a9
                }
            );
        }
    }

    #[test]
    fn wines_mode_derived_list_for_0644_is_refused() {
        // What Wine 8 reports for a 0644 file: (A;;FA;;;SY)(A;;FA;;;<user>)(A;;0x1200a9;;;WD).
        let aces = [
            allow(SYSTEM, 0x1f01ff),
            allow(ME, 0x1f01ff),
            allow(EVERYONE, 0x1200a9),
        ];
        assert!(matches!(
            dacl_verdict(ME, Some(&aces), ME),
            Verdict::Grants { .. }
        ));
    }

    #[test]
    fn another_owner_or_a_null_dacl_is_refused() {
        assert_eq!(
            dacl_verdict(OTHER, Some(&[allow(ME, 1)]), ME),
            Verdict::OtherOwner {
                owner: OTHER.to_owned()
            }
        );
        // Administrators owning it is still someone else (DESIGN: the user).
        assert_eq!(
            dacl_verdict(ADMINISTRATORS, Some(&[]), ME),
            Verdict::OtherOwner {
                owner: ADMINISTRATORS.to_owned()
            }
        );
        assert_eq!(dacl_verdict(ME, None, ME), Verdict::NoDacl);
    }

    #[test]
    fn deny_inherit_only_and_empty_entries_grant_nothing() {
        let aces = [
            Ace {
                kind: AceKind::Deny,
                ..allow(EVERYONE, 0x1f01ff)
            },
            Ace {
                flags: INHERIT_ONLY,
                ..allow("S-1-3-0" /* CREATOR OWNER */, 0x1f01ff)
            },
            allow(OTHER, 0),
            allow(OWNER_RIGHTS, 0x1f01ff),
        ];
        assert_eq!(dacl_verdict(ME, Some(&aces), ME), Verdict::Private);
    }

    #[test]
    fn an_unknown_entry_type_is_not_trusted() {
        let aces = [Ace {
            kind: AceKind::Other(5), // ACCESS_ALLOWED_OBJECT_ACE
            ..allow(OTHER, 1)
        }];
        assert_eq!(
            dacl_verdict(ME, Some(&aces), ME),
            Verdict::Unrecognised { ace_type: 5 }
        );
    }

    #[test]
    fn created_descriptors_grant_only_the_user_and_are_protected() {
        assert_eq!(private_sddl(ME, false), format!("O:{ME}D:P(A;;FA;;;{ME})"));
        assert_eq!(
            private_sddl(ME, true),
            format!("O:{ME}D:P(A;OICI;FA;;;{ME})")
        );
    }
}
