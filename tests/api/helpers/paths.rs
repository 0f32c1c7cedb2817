//! The documented paths as requests: [`concrete`] turns an OpenAPI template
//! into a path the router will match.

/// `/api/v1/members/{id}` → a concrete path: every `{param}` a UUID, so id
/// parsing is not what answers.
pub fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                "67e55044-10b1-426f-9247-bb680e5fe0c8"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
