//! The Windows side of [`crate::platform`] (next commit).
