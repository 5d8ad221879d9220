//! docs/API.md against the routes: every route the node serves (socket, app, overview) is
//! documented there.

const DOC: &str = include_str!("../../docs/API.md");

fn routes(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim().strip_prefix(".route(\"") else {
            continue;
        };
        let Some((path, handler)) = rest.split_once('"') else {
            continue;
        };
        for method in ["GET", "POST"] {
            if handler.contains(&format!("{}(", method.to_lowercase())) {
                found.push((method.to_owned(), path.to_owned()));
            }
        }
    }
    found
}

#[test]
fn every_route_is_in_the_api_document() {
    let sources = [
        include_str!("../src/api/server.rs"),
        include_str!("../src/dashboard/mod.rs"),
        include_str!("../src/app/routes/mod.rs"),
    ];
    let all: Vec<(String, String)> = sources.iter().flat_map(|source| routes(source)).collect();
    assert!(all.len() >= 10, "the routes were found: {all:?}");
    for (method, path) in all {
        // A path parameter is documented by name: `/api/items/{uuid}` for `/api/items/{id}`.
        let fixed = path.split('{').next().unwrap_or(&path);
        // A section of its own, or a row of a table of routes.
        let heading = format!("### `{method} {fixed}");
        let row = format!("| `{method} {fixed}");
        assert!(
            DOC.contains(&heading) || DOC.contains(&row),
            "docs/API.md has no section for {method} {path} (looked for {heading:?} or {row:?})"
        );
    }
}
