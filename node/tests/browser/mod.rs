//! What the browser tests share: headless Chromium launched and driven through the DevTools
//! protocol, and the few things a person does on a page — wait for what it shows, read it,
//! click, keep a screenshot.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser at a time: two headless Chromiums starting at once on a small machine make
/// each other time out.
pub static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub async fn launch() -> Option<(Browser, tokio::task::JoinHandle<()>, tempfile::TempDir)> {
    if std::env::var("NHIP_BROWSER_TEST").as_deref() == Ok("skip") {
        eprintln!("NHIP_BROWSER_TEST=skip: the browser test was skipped on purpose");
        return None;
    }
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser test needs Debian's chromium (apt-get install chromium), \
         or NHIP_BROWSER_TEST=skip to skip it knowingly"
    );
    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable(CHROMIUM)
        .no_sandbox()
        .user_data_dir(profile.path())
        .window_size(1366, 768)
        .viewport(None)
        .launch_timeout(Duration::from_secs(90))
        .request_timeout(Duration::from_secs(60))
        .args([
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .build()
        .expect("a browser configuration");
    let (browser, mut handler) = Browser::launch(config).await.expect("chromium starts");
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    Some((browser, events, profile))
}

/// Waits until `condition` (a JavaScript expression) holds on `page`; fails with `what`.
pub async fn wait(page: &Page, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let holds = page
            .evaluate(format!("!!({condition})"))
            .await
            .ok()
            .and_then(|result| result.into_value::<bool>().ok())
            .unwrap_or(false);
        if holds {
            return;
        }
        if Instant::now() > deadline {
            let text = text(page, "document.body.innerText").await;
            panic!("waited 30 s for {what} ({condition}); the page says:\n{text}");
        }
        // Polls the page's state; the interval only paces the polling.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn text(page: &Page, expression: &str) -> String {
    page.evaluate(expression)
        .await
        .ok()
        .and_then(|result| result.into_value::<String>().ok())
        .unwrap_or_default()
}

/// Clicks the element `selector` finds. A page that redrew between finding and clicking (a
/// change arrived from the node) is clicked again, as a person would.
pub async fn click(page: &Page, selector: &str) {
    let mut tries = 0;
    loop {
        tries += 1;
        let clicked = match page.find_element(selector).await {
            Ok(element) => element.click().await.map(|_| ()),
            Err(error) => Err(error),
        };
        match clicked {
            Ok(()) => return,
            Err(error) if tries < 10 && error.to_string().contains("node") => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("click {selector}: {error}"),
        }
    }
}

/// Saves a full-page screenshot of `page` as `name`.png under the tests' output folder.
pub async fn screenshot(page: &Page, name: &str) {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("app-screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("{name}.png"));
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
        .await
        .unwrap_or_else(|error| panic!("screenshot {name}: {error}"));
}
