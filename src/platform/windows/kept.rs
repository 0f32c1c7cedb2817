//! Whether this machine keeps the access lists taskflowd sets, learnt from
//! read-backs after setting one, and recognising Wine (see
//! [`crate::platform::acls_kept`]): where they are not kept, the owner-only
//! checks warn once and pass instead of bricking the app.
#![allow(unsafe_code)]

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};

use crate::platform::acl::Verdict;

/// 0: not known yet; 1: a read-back matched; 2: one did not (or Wine).
static KEPT: AtomicU8 = AtomicU8::new(0);

/// Whether access lists set here were kept (see [`crate::platform::acls_kept`]).
pub fn acls_kept() -> Option<bool> {
    check_wine();
    match KEPT.load(Ordering::Relaxed) {
        0 => None,
        1 => Some(true),
        _ => Some(false),
    }
}

/// Under Wine, access lists are derived from the Unix mode, and setting one
/// on an existing file changes the mode for the worse (measured with Wine 8:
/// a 0755 folder given a current-user-only DACL became 0775, or 0777). So
/// there nothing is ever set after creation, and the checks only warn: the
/// Unix modes, which Wine keeps, are what protects the files. Recognised by
/// the `wine_get_version` export Wine's `ntdll` has and Windows' lacks.
fn check_wine() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let ntdll: Vec<u16> = "ntdll.dll".encode_utf16().chain([0]).collect();
        // SAFETY: ntdll is mapped into every process; the name is
        // NUL-terminated; the returned module handle is not owned.
        let wine = unsafe {
            let module = GetModuleHandleW(ntdll.as_ptr());
            !module.is_null()
                && GetProcAddress(module, c"wine_get_version".as_ptr().cast()).is_some()
        };
        if wine {
            KEPT.store(2, Ordering::Relaxed);
            tracing::warn!(
                "running under Wine, which does not keep Windows access lists: owner-only \
                 checks only warn, and the files are protected by their Unix modes"
            );
        }
    });
}

/// Records what the read-back after setting an access list on `path` found.
/// The first time one was not kept, says so once at WARN: from then on the
/// load checks only warn (never brick the app on such a drive).
pub fn note_read_back(path: &Path, verdict: &Verdict) {
    check_wine();
    if *verdict == Verdict::Private {
        let _ = KEPT.compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed);
        return;
    }
    if KEPT.swap(2, Ordering::Relaxed) != 2 {
        tracing::warn!(
            path = %path.display(),
            found = ?verdict,
            "this drive does not keep the access list taskflowd set (FAT/exFAT, some \
             network or redirected folders): its files are not protected from other users \
             there, and owner-only checks only warn"
        );
    }
}
