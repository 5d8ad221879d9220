//! The page and its two files, embedded in the binary: nothing is fetched from anywhere else.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const APP_HTML: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");
const HUB_HTML: &str = include_str!("assets/hub.html");
const HUB_SCRIPT: &str = include_str!("assets/hub.js");

/// `/`, `/assets/app.js`, `/assets/app.css`; the overview of units with its charts and
/// reports at `/hub` (with `/assets/hub.js`).
pub fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    APP_HTML,
                )
            }),
        )
        .route(
            "/assets/app.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/hub",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    HUB_HTML,
                )
            }),
        )
        .route(
            "/assets/hub.js",
            get(|| async { file("text/javascript; charset=utf-8", HUB_SCRIPT) }),
        )
        .route(
            "/assets/app.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
}

fn file(kind: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word the script asks for is in the table, in both languages.
    #[test]
    fn every_word_of_the_script_exists() {
        let words_vi = crate::texts::app_words(crate::texts::Lang::Vi);
        let words_en = crate::texts::app_words(crate::texts::Lang::En);
        let mut asked = Vec::new();
        for opener in ["t('", "fill('"] {
            for (at, _) in SCRIPT.match_indices(opener) {
                // `t(` itself, not the end of `split(`.
                let before = SCRIPT[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == '.' {
                    continue;
                }
                let rest = &SCRIPT[at + opener.len()..];
                if let Some(end) = rest.find('\'') {
                    asked.push(&rest[..end]);
                }
            }
        }
        // Keys made of a prefix and a value.
        for prefix in ["why_", "show_", "sort_"] {
            asked.retain(|key| *key != prefix);
        }
        assert!(asked.len() > 40, "the script's words were found: {asked:?}");
        let missing: Vec<_> = asked
            .iter()
            .filter(|key| !words_vi.contains_key(*key) || !words_en.contains_key(*key))
            .collect();
        assert!(missing.is_empty(), "words missing: {missing:?}");
        for prefix in ["why_", "show_", "sort_"] {
            assert!(words_vi.keys().any(|key| key.starts_with(prefix)));
        }
    }

    /// Every word the overview's script asks for is in the table too, in both languages.
    #[test]
    fn every_word_of_the_overview_exists() {
        let words_vi = crate::texts::app_words(crate::texts::Lang::Vi);
        let words_en = crate::texts::app_words(crate::texts::Lang::En);
        let asked: Vec<&str> = HUB_SCRIPT
            .match_indices("t(\"")
            // `t(` itself, not the end of `get(`.
            .filter(|(at, _)| {
                let before = HUB_SCRIPT[..*at].chars().next_back().unwrap_or(' ');
                !(before.is_alphanumeric() || before == '_' || before == '.')
            })
            .filter_map(|(at, opener)| HUB_SCRIPT[at + opener.len()..].split_once('"'))
            .map(|(key, _)| key)
            .collect();
        assert!(asked.len() > 30, "the script's words were found: {asked:?}");
        let missing: Vec<_> = asked
            .iter()
            .map(|key| format!("board_{key}"))
            .filter(|key| {
                !words_vi.contains_key(key.as_str()) || !words_en.contains_key(key.as_str())
            })
            .collect();
        assert!(missing.is_empty(), "words missing: {missing:?}");
        assert!(
            !HUB_SCRIPT.contains("TEXTS"),
            "the overview keeps no words of its own"
        );
    }

    /// No inline script, no address outside this node.
    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for page in [APP_HTML, HUB_HTML] {
            assert!(!page.contains("<script>"), "inline script");
        }
        assert!(!APP_HTML.contains(" on"), "inline handler");
        for text in [APP_HTML, SCRIPT, STYLE] {
            // The SVG namespace is a name, not an address anything is fetched from.
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(!text.contains("http://") && !text.contains("https://"));
            assert!(!text.contains("innerHTML"), "text is put in as text");
        }
    }
}
