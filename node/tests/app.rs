//! The office app in a real browser: headless Chromium, driven through the DevTools protocol,
//! against two running nodes — a commune and one of its villages, each serving its own app and
//! syncing live. What a clerk and a village head do in a day: log in for the first time with a
//! setup code; create a task with the pickers (by name, without diacritics, by keyboard); the
//! village head starts it, reports progress and submits it at the village; the commune's
//! secretary approves it at the commune, and the village sees it done — every step waiting on
//! what the page shows, never on a sleep. A title that is a script shows as text; the language
//! switches. A screenshot of each main page is saved under the test's output folder.
//!
//! Needs Debian's `chromium` (installed by `.ci/run`). Without it the test fails and says so;
//! set `NHIP_BROWSER_TEST=skip` to skip it knowingly.

mod browser;
mod common;

use std::path::Path;
use std::process::{Command, Output};

use browser::{ONE_BROWSER, click, launch, screenshot, text, wait};
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::page::Page;
use common::{NHIP, Running};

const PASSPHRASE: &str = "lúa chín vàng trên nương";

fn nhip(data: &Path, args: &[&str]) -> Output {
    Command::new(NHIP)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .env_remove("RUST_LOG")
        .env("NHIP_SESSION_DIR", data.join("sessions"))
        .output()
        .expect("the nhip binary runs")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let output = nhip(data, args);
    assert!(
        output.status.success(),
        "nhip {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn setup_code(said: &str) -> String {
    said.split_whitespace()
        .find(|word| word.len() == 19 && word.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("a setup code is printed: {said}"))
        .to_owned()
}

/// The commune of Bình Lư (the root here) with its secretary, and the village of Bản Nà Ri
/// joined to it; both serving, each with its app. Setup codes for the secretary and the
/// village head.
struct Tree {
    _root: tempfile::TempDir,
    commune_app: String,
    village_app: String,
    thinh_code: String,
    pao_code: String,
    _commune: Running,
    _village: Running,
}

impl Tree {
    fn new() -> Tree {
        let root = tempfile::tempdir().unwrap();
        let commune = root.path().join("binh-lu");
        let quic = free_port();
        ok(
            &commune,
            &[
                "init",
                "--hub",
                "--unit",
                "lai-chau/binh-lu",
                "--as",
                "ta-thi-dung",
                "--listen",
                &format!("127.0.0.1:{quic}"),
            ],
        );
        for args in [
            &[
                "unit",
                "add",
                "lai-chau/binh-lu",
                "--name",
                "Xã Bình Lư",
                "--kind",
                "commune",
            ][..],
            &["person", "add", "ta-thi-dung", "--name", "Tạ Thị Dung"],
            &[
                "person",
                "role",
                "ta-thi-dung",
                "--unit",
                "lai-chau/binh-lu",
                "--role",
                "quan-tri",
            ],
            &[
                "person",
                "add",
                "nguyen-tien-thinh",
                "--name",
                "Nguyễn Tiến Thịnh",
            ],
            &[
                "person",
                "role",
                "nguyen-tien-thinh",
                "--unit",
                "lai-chau/binh-lu",
                "--role",
                "bi-thu",
            ],
            // He chairs the commune's people's committee too: petitions are his to answer.
            &[
                "person",
                "role",
                "nguyen-tien-thinh",
                "--unit",
                "lai-chau/binh-lu",
                "--role",
                "chu-tich",
            ],
        ] {
            ok(&commune, &[&["--as", "ta-thi-dung"][..], args].concat());
        }
        let invite = root.path().join("moi-ban-na-ri.toml");
        ok(
            &commune,
            &[
                "--as",
                "ta-thi-dung",
                "invite",
                "--unit",
                "lai-chau/binh-lu/ban-na-ri",
                "--name",
                "Bản Nà Ri",
                "--admin",
                "lo-van-pao",
                "--admin-name",
                "Lò Văn Pao",
                "--out",
                invite.to_str().unwrap(),
            ],
        );
        let thinh_code = setup_code(&ok(
            &commune,
            &[
                "--as",
                "ta-thi-dung",
                "person",
                "setup-code",
                "nguyen-tien-thinh",
            ],
        ));
        let pao_code = setup_code(&ok(
            &commune,
            &["--as", "ta-thi-dung", "person", "setup-code", "lo-van-pao"],
        ));
        let commune_app = format!("127.0.0.1:{}", free_port());
        let commune_node = Running::start(&commune, &["--app", &commune_app]);
        let village = root.path().join("ban-na-ri");
        ok(
            &village,
            &["join", invite.to_str().unwrap(), "--as", "lo-van-pao"],
        );
        let village_app = format!("127.0.0.1:{}", free_port());
        let village_node = Running::start(
            &village,
            &[
                "--listen",
                &format!("127.0.0.1:{}", free_port()),
                "--app",
                &village_app,
            ],
        );
        Tree {
            _root: root,
            commune_app: format!("http://{commune_app}/"),
            village_app: format!("http://{village_app}/"),
            thinh_code,
            pao_code,
            _commune: commune_node,
            _village: village_node,
        }
    }
}

/// Types `words` into the field: as a keyboard with a Vietnamese input method does, the text
/// arrives as input events (`Input.insertText`).
async fn type_in(page: &Page, selector: &str, words: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|error| panic!("{selector}: {error}"))
        .focus()
        .await
        .unwrap_or_else(|error| panic!("focus {selector}: {error}"));
    page.execute(InsertTextParams::new(words))
        .await
        .unwrap_or_else(|error| panic!("type in {selector}: {error}"));
}

/// Opens the new-item form and creates an item of `workflow` titled `title`, with its
/// workflow's default deadline.
async fn create(page: &Page, workflow: &str, title: &str) {
    click(page, "#nav a[href='#/new']").await;
    wait(page, "document.querySelector('#new-form')", "the form").await;
    page.evaluate(format!(
        "document.querySelector('#new-workflow').value = '{workflow}'"
    ))
    .await
    .unwrap();
    type_in(page, "#new-title", title).await;
    click(page, "#new-submit").await;
}

/// Logs in at `page`'s app with a passphrase chosen before.
async fn login(page: &Page, person: &str, passphrase: &str) {
    wait(
        page,
        "document.querySelector('#login-person')",
        "the login form",
    )
    .await;
    type_in(page, "#login-person", person).await;
    type_in(page, "#login-passphrase", passphrase).await;
    click(page, "#login-submit").await;
    wait(page, "document.querySelector('#logout')", "being logged in").await;
}

/// Logs in at `page`'s app for the first time: the setup code, a new passphrase.
async fn first_login(page: &Page, person: &str, code: &str) {
    wait(
        page,
        "document.querySelector('#login-person')",
        "the login form",
    )
    .await;
    type_in(page, "#login-person", person).await;
    type_in(page, "#login-passphrase", PASSPHRASE).await;
    click(page, "#login details summary").await;
    type_in(page, "#login-setup", code).await;
    click(page, "#login-submit").await;
    wait(page, "document.querySelector('#logout')", "being logged in").await;
}

#[test]
fn a_task_goes_from_the_commune_to_the_village_and_back_in_the_app() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let tree = Tree::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let Some((mut browser, events, _profile)) = launch().await else {
            return;
        };
        // The secretary logs in at the commune for the first time.
        let commune = browser.new_page(tree.commune_app.as_str()).await.unwrap();
        wait(&commune, "document.querySelector('#login-person')", "the login form").await;
        screenshot(&commune, "login").await;
        first_login(&commune, "nguyen tien thinh", &tree.thinh_code).await;
        wait(&commune, "document.querySelector('#work-empty, h2')", "my work").await;

        // He creates a task with the pickers: the village head found by his name typed
        // without diacritics and chosen by keyboard, the village by name.
        click(&commune, "#nav a[href='#/new']").await;
        wait(&commune, "document.querySelector('#new-form')", "the task form").await;
        type_in(&commune, "#new-title", "Phát quang đường liên bản").await;
        type_in(&commune, "#new-assignee", "lo van pao").await;
        wait(
            &commune,
            "document.querySelector('#new-form .choices button[data-code=\"lo-van-pao\"]')",
            "the person picker's choice",
        )
        .await;
        commune
            .find_element("#new-assignee")
            .await
            .unwrap()
            .press_key("Enter")
            .await
            .unwrap();
        wait(
            &commune,
            "document.querySelector('#new-form .chip[data-code=\"lo-van-pao\"]')",
            "the chosen person",
        )
        .await;
        type_in(&commune, "#new-deadline", "31/12/2099").await;
        // The unit: the commune is there already; the village replaces it.
        type_in(&commune, "#new-unit", "ban na ri").await;
        wait(
            &commune,
            "document.querySelector('.choices button[data-code=\"lai-chau/binh-lu/ban-na-ri\"]')",
            "the unit picker's choice",
        )
        .await;
        click(
            &commune,
            ".choices button[data-code=\"lai-chau/binh-lu/ban-na-ri\"]",
        )
        .await;
        screenshot(&commune, "new-task").await;
        click(&commune, "#new-submit").await;
        wait(
            &commune,
            "(document.querySelector('#item-title')||{}).textContent === 'Phát quang đường liên bản'",
            "the new task's page",
        )
        .await;
        let facts = text(&commune, "document.querySelector('dl.facts').innerText").await;
        assert!(facts.contains("Lò Văn Pao"), "names, not codes: {facts}");
        assert!(facts.contains("Bản Nà Ri"), "{facts}");
        assert!(facts.contains("31/12/2099"), "dates as people write them: {facts}");

        // A title that is markup is shown as text, and runs nothing.
        click(&commune, "#nav a[href='#/new']").await;
        wait(&commune, "document.querySelector('#new-form')", "the task form").await;
        let hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";
        type_in(&commune, "#new-title", hostile).await;
        type_in(&commune, "#new-deadline", "31/12/2099").await;
        click(&commune, "#new-submit").await;
        wait(&commune, "document.querySelector('#item-title')", "the hostile task's page").await;
        assert_eq!(text(&commune, "document.querySelector('#item-title').textContent").await, hostile);
        let injected = commune
            .evaluate("document.querySelectorAll('#item-title *').length + (window.pwned ? 100 : 0)")
            .await
            .unwrap()
            .into_value::<u32>()
            .unwrap();
        assert_eq!(injected, 0, "markup in a title became elements or ran");

        // The village head logs in at the village; the task has come down by the live link.
        let village = browser.new_page(tree.village_app.as_str()).await.unwrap();
        first_login(&village, "lo-van-pao", &tree.pao_code).await;
        wait(
            &village,
            "[...document.querySelectorAll('a')].some(a => a.textContent === 'Phát quang đường liên bản')",
            "the commune's task in the village head's work",
        )
        .await;
        screenshot(&village, "my-work").await;
        let link = "[...document.querySelectorAll('a')].find(a => a.textContent === 'Phát quang đường liên bản')";
        village.evaluate(format!("{link}.click()")).await.unwrap();
        wait(&village, "document.querySelector('button[data-step=\"start\"]')", "the start button").await;
        click(&village, "button[data-step=\"start\"]").await;
        wait(
            &village,
            "!document.querySelector('button[data-step=\"start\"]') && document.querySelector('#progress-form')",
            "the task started",
        )
        .await;
        page_clear_and_type(&village, "#progress-percent", "80").await;
        type_in(&village, "#progress-note", "Đã phát quang 2 km").await;
        let typed = text(&village, "document.querySelector('#progress-percent').value").await;
        assert_eq!(typed, "80", "the percent typed");
        click(&village, "#progress-form button[type=submit]").await;
        wait(
            &village,
            "document.querySelector('#timeline').innerText.includes('80')",
            "the progress in the timeline",
        )
        .await;
        wait(&village, "document.querySelector('button[data-step=\"submit\"]')", "the submit button").await;
        click(&village, "button[data-step=\"submit\"]").await;
        wait(
            &village,
            "!document.querySelector('button[data-step=\"submit\"]')",
            "the task submitted",
        )
        .await;
        screenshot(&village, "item-village").await;

        // At the commune the secretary finds it waiting for his approval, and approves.
        commune.bring_to_front().await.unwrap();
        click(&commune, "#nav a[href='#/work']").await;
        wait(
            &commune,
            "document.querySelector('#work-approve') && document.body.innerText.includes('Phát quang đường liên bản')",
            "the submitted task waiting for approval at the commune",
        )
        .await;
        commune.evaluate(format!("{link}.click()")).await.unwrap();
        wait(&commune, "document.querySelector('button[data-step=\"approve:yes\"]')", "the approve button").await;
        let timeline = text(&commune, "document.querySelector('#timeline').innerText").await;
        assert!(timeline.contains("Lò Văn Pao"), "{timeline}");
        assert!(timeline.contains("ký bởi"), "decisions show who signed them: {timeline}");
        click(&commune, "button[data-step=\"approve:yes\"]").await;
        wait(
            &commune,
            "document.querySelector('#item-state').textContent === 'Hoàn thành'",
            "the task done at the commune",
        )
        .await;
        screenshot(&commune, "item-commune").await;

        // The village sees it done, without reloading.
        village.bring_to_front().await.unwrap();
        wait(
            &village,
            "(document.querySelector('#item-state')||{}).textContent === 'Hoàn thành'",
            "the approval reaching the village's page",
        )
        .await;

        // A citizen's petition: received with its legal time limit, accepted, answered — by the
        // chairman, with the buttons its workflow gives.
        commune.bring_to_front().await.unwrap();
        create(&commune, "petition", "Đơn kiến nghị về đường vào bản").await;
        wait(
            &commune,
            "(document.querySelector('#item-state')||{}).textContent === 'Đã tiếp nhận'",
            "the petition received",
        )
        .await;
        let facts = text(&commune, "document.querySelector('dl.facts').innerText").await;
        assert!(facts.contains("Đơn thư"), "{facts}");
        wait(&commune, "document.querySelector('button[data-step=\"accept\"]')", "the accept button").await;
        click(&commune, "button[data-step=\"accept\"]").await;
        wait(&commune, "document.querySelector('button[data-step=\"answer\"]')", "the answer button").await;
        click(&commune, "button[data-step=\"answer\"]").await;
        wait(
            &commune,
            "document.querySelector('#item-state').textContent === 'Đã trả lời'",
            "the petition answered",
        )
        .await;

        // An inspection, and the follow-up task that comes of it, linked to it.
        create(&commune, "inspection", "Kiểm tra chi bộ bản Nà Ri").await;
        wait(&commune, "document.querySelector('#follow-up')", "the inspection's page").await;
        click(&commune, "#follow-up").await;
        wait(
            &commune,
            "Array.from(document.querySelectorAll('#new-form .chip')).some(c => c.textContent.includes('Kiểm tra chi bộ bản Nà Ri'))",
            "the follow-up form, under the inspection",
        )
        .await;
        type_in(&commune, "#new-title", "Khắc phục sổ sách chi bộ").await;
        type_in(&commune, "#new-deadline", "31/01/2100").await;
        click(&commune, "#new-submit").await;
        wait(
            &commune,
            "(document.querySelector('#item-title')||{}).textContent === 'Khắc phục sổ sách chi bộ' \
             && document.querySelector('dl.facts').innerText.includes('Kiểm tra chi bộ bản Nà Ri')",
            "the follow-up task, part of the inspection",
        )
        .await;

        // The commune's overview of its units, and the switch to English.
        commune.bring_to_front().await.unwrap();
        click(&commune, "#nav a[href='#/hub']").await;
        wait(
            &commune,
            "document.querySelector('#units') && document.querySelectorAll('#progress-chart rect').length === 12",
            "the overview, with its weekly chart",
        )
        .await;
        let this_week = text(
            &commune,
            "[...document.querySelectorAll('#progress-chart rect title')].pop().textContent",
        )
        .await;
        assert!(
            this_week.contains("hoàn thành 2"),
            "this week: the task approved and the petition answered are done: {this_week}"
        );
        screenshot(&commune, "overview").await;
        click(&commune, "#lang").await;
        wait(
            &commune,
            "document.querySelector('#nav').innerText.includes('My work')",
            "the English words",
        )
        .await;
        screenshot(&commune, "overview-en").await;

        browser.close().await.unwrap();
        let _ = browser.wait().await;
        events.abort();
    });
}

/// Clears a field and types ASCII `keys` into it, key by key.
async fn page_clear_and_type(page: &Page, selector: &str, keys: &str) {
    page.evaluate(format!("document.querySelector('{selector}').value = ''"))
        .await
        .unwrap();
    page.find_element(selector)
        .await
        .unwrap()
        .focus()
        .await
        .unwrap()
        .type_str(keys)
        .await
        .unwrap_or_else(|error| panic!("type in {selector}: {error}"));
}

/// `nhip demo` running, with the commune's app address.
struct Demo {
    child: std::process::Child,
    commune_app: String,
}

impl Demo {
    fn start() -> Demo {
        use std::io::BufRead;
        let mut child = Command::new(NHIP)
            .arg("demo")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut commune_app = None;
        for _ in 0..200 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if line.contains("Xã Bình Lư: http://") {
                let at = line.find("http://").unwrap();
                commune_app = line[at..].split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        Demo {
            child,
            commune_app: commune_app.expect("the demo prints the commune's app address"),
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo's passphrase (`node/src/demo.rs`).
const DEMO_PASSPHRASE: &str = "trâu về chuồng lúc chiều tà";

/// Presses Tab until `target` has the focus; the ids the focus passed through, in order.
async fn tab_to(page: &Page, target: &str) -> Vec<String> {
    let mut visited = Vec::new();
    for _ in 0..40 {
        let id = text(
            page,
            "document.activeElement ? document.activeElement.id : ''",
        )
        .await;
        if id == target {
            return visited;
        }
        visited.push(id);
        page.execute(
            chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventParams::builder()
                .r#type(chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventType::KeyDown)
                .key("Tab")
                .code("Tab")
                .windows_virtual_key_code(9)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        page.execute(
            chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventParams::builder()
                .r#type(chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventType::KeyUp)
                .key("Tab")
                .code("Tab")
                .windows_virtual_key_code(9)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    }
    panic!("Tab never reached #{target}; the focus went through {visited:?}");
}

/// Chooses `file` in the file input at `selector`, again if a redraw replaced the input between
/// finding it and choosing (as `click` does).
async fn choose_file(page: &Page, selector: &str, file: &Path) {
    let mut tries = 0;
    loop {
        tries += 1;
        let chosen = match page.find_element(selector).await {
            Ok(input) => page
                .execute(
                    chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams::builder()
                        .files(vec![file.display().to_string()])
                        .backend_node_id(input.backend_node_id)
                        .build()
                        .unwrap(),
                )
                .await
                .map(|_| ()),
            Err(error) => Err(error),
        };
        match chosen {
            Ok(()) => return,
            Err(error) if tries < 10 && error.to_string().contains("node") => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(error) => panic!("choose {}: {error}", file.display()),
        }
    }
}

#[test]
fn the_commune_resolves_a_conflict_types_a_task_by_keyboard_imports_and_reports_in_the_app() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let demo = Demo::start();
    let folder = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let Some((mut browser, events, _profile)) = launch().await else {
            return;
        };
        let page = browser.new_page(demo.commune_app.as_str()).await.unwrap();
        login(&page, "ta-thi-dung", DEMO_PASSPHRASE).await;

        // The conflict of the demo (Nà Ri completed offline what the hub cancelled) is on her
        // list; she records the decision, and the conflict is resolved.
        wait(&page, "document.querySelector('#work-conflict')", "a conflict to resolve").await;
        screenshot(&page, "demo-my-work").await;
        page.evaluate(
            "document.querySelector('#work-conflict').nextElementSibling.querySelector('a').click()",
        )
        .await
        .unwrap();
        wait(&page, "document.querySelector('input[data-conflict]')", "the conflict's form").await;
        type_in(&page, "input[data-conflict]", "Giữ kết quả của bản; việc đã làm xong").await;
        page.evaluate("document.querySelector('input[data-conflict]').form.querySelector('button').click()")
            .await
            .unwrap();
        wait(&page, "!document.querySelector('input[data-conflict]')", "the conflict resolved").await;
        let timeline = text(&page, "document.querySelector('#timeline').innerText").await;
        assert!(timeline.contains("giải quyết xung đột"), "{timeline}");

        // A task typed with the keyboard alone: Tab from field to field, the person chosen
        // with the arrow keys, Enter to create.
        click(&page, "#nav a[href='#/new']").await;
        wait(&page, "document.activeElement && document.activeElement.id === 'new-workflow'", "the form, focused").await;
        let order = tab_to(&page, "new-title").await;
        assert_eq!(order, ["new-workflow"], "the work comes right after its kind");
        page.execute(InsertTextParams::new("Tổng vệ sinh trụ sở xã")).await.unwrap();
        let order = tab_to(&page, "new-assignee").await;
        assert_eq!(order, ["new-title", "new-description"]);
        page.execute(InsertTextParams::new("tien thinh")).await.unwrap();
        wait(&page, "document.querySelector('.choices button[data-code=\"nguyen-tien-thinh\"]')", "the choice").await;
        page.find_element("#new-assignee").await.unwrap().press_key("ArrowDown").await.unwrap();
        wait(&page, "document.activeElement.getAttribute('data-code') === 'nguyen-tien-thinh'", "the choice focused").await;
        page.find_element(".choices button[data-code=\"nguyen-tien-thinh\"]").await.unwrap().press_key("Enter").await.unwrap();
        wait(&page, "document.querySelector('.chip[data-code=\"nguyen-tien-thinh\"]')", "the person chosen").await;
        tab_to(&page, "new-deadline").await;
        page.execute(InsertTextParams::new("30/06/2099")).await.unwrap();
        tab_to(&page, "new-submit").await;
        page.find_element("#new-submit").await.unwrap().press_key("Enter").await.unwrap();
        wait(
            &page,
            "(document.querySelector('#item-title')||{}).textContent === 'Tổng vệ sinh trụ sở xã'",
            "the task created from the keyboard",
        )
        .await;

        // The appendix: a row with an unknown person and one with an impossible date are shown
        // with their row numbers, and nothing is written; the corrected file goes in.
        let bad = folder.path().join("phu-luc.csv");
        std::fs::write(
            &bad,
            "Công việc,Người thực hiện,Đơn vị chủ trì,Thời hạn\n\
             Sửa cầu treo,Lò Văn Pao,Bản Nà Ri,31/12/2099\n\
             Làm đường nội đồng,Người Không Có,Bản Nà Ri,31/12/2099\n\
             Kiểm tra bể nước,lo-van-pao,Bản Nà Ri,32/13/2099\n",
        )
        .unwrap();
        click(&page, "#nav a[href='#/import']").await;
        wait(&page, "document.querySelector('#import-file')", "the import page").await;
        choose_file(&page, "#import-file", &bad).await;
        wait(&page, "document.querySelector('#import-errors')", "the rows' errors").await;
        let bad_rows = text(
            &page,
            "[...document.querySelectorAll('#import-rows tr.bad-row td:first-child')].map(td => td.textContent).join(',')",
        )
        .await;
        assert_eq!(bad_rows, "3,4", "the wrong rows, by the numbers the file shows");
        let reasons = text(&page, "document.querySelector('#import-rows').innerText").await;
        assert!(
            reasons.contains("không tìm thấy cán bộ \"Người Không Có\"")
                && reasons.contains("\"32/13/2099\" không phải là ngày"),
            "each row says what is wrong, in the clerk's language: {reasons}"
        );
        assert!(text(&page, "document.querySelector('#import-commit') ? 'yes' : ''").await.is_empty());
        screenshot(&page, "import-errors").await;
        let good = folder.path().join("phu-luc-da-sua.csv");
        std::fs::write(
            &good,
            "Công việc,Người thực hiện,Đơn vị chủ trì,Thời hạn\n\
             Sửa cầu treo,Lò Văn Pao,Bản Nà Ri,31/12/2099\n\
             Kiểm tra bể nước,lo-van-pao,Bản Nà Ri,30/12/2099\n",
        )
        .unwrap();
        choose_file(&page, "#import-file", &good).await;
        wait(&page, "document.querySelector('#import-commit')", "the import button").await;
        click(&page, "#import-commit").await;
        wait(&page, "document.querySelector('#import-done')", "the rows imported").await;
        click(&page, "#nav a[href='#/items']").await;
        wait(
            &page,
            "document.body.innerText.includes('Sửa cầu treo') && document.body.innerText.includes('Kiểm tra bể nước')",
            "the imported tasks in the list",
        )
        .await;
        screenshot(&page, "items").await;
        // The list downloads as a workbook (its reading back is checked in `app/export.rs`).
        let signature = text(
            &page,
            "fetch(document.querySelector('#export-xlsx').href).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))",
        )
        .await;
        assert_eq!(signature, "PK", "the list downloads as an xlsx package");

        // A task under the action program, found by typing its name without diacritics, and
        // linked to the commune's indicator.
        click(&page, "#nav a[href='#/new']").await;
        wait(&page, "document.querySelector('#new-indicator option[value=\"ty-le-thu-gom-rac\"]')", "the form, with the indicators").await;
        type_in(&page, "#new-title", "Vận động hộ dân phân loại rác").await;
        type_in(&page, "#new-deadline", "31/12/2099").await;
        type_in(&page, "#new-parent", "hoan thien chuong trinh").await;
        wait(&page, "document.querySelector('#new-form .choices button')", "the program found").await;
        click(&page, "#new-form .choices button").await;
        page.evaluate("document.querySelector('#new-indicator').value = 'ty-le-thu-gom-rac'")
            .await
            .unwrap();
        screenshot(&page, "new-task-parent").await;
        click(&page, "#new-submit").await;
        wait(
            &page,
            "(document.querySelector('#item-title')||{}).textContent === 'Vận động hộ dân phân loại rác' \
             && document.querySelector('dl.facts').innerText.includes('Hoàn thiện Chương trình hành động') \
             && document.querySelector('dl.facts').innerText.includes('Tỷ lệ hộ được thu gom rác thải')",
            "the task, part of the program, counting toward the indicator",
        )
        .await;

        // An indicator's value, written as people write numbers here.
        click(&page, "#nav a[href='#/indicators']").await;
        wait(&page, "document.querySelector('#indicators input[data-indicator]')", "the indicators").await;
        type_in(&page, "#indicators input[data-indicator]", "1.234,5").await;
        page.evaluate("document.querySelector('#indicators input[data-indicator]').form.querySelector('button').click()")
            .await
            .unwrap();
        wait(
            &page,
            "document.querySelector('#indicators').innerText.includes('1.234,5')",
            "the value reported",
        )
        .await;
        screenshot(&page, "indicators").await;

        // The quarterly report: its figures and weekly chart, both files, who below has
        // reported (Nà Ri did, in the demo), and submitting it from the page.
        click(&page, "#nav a[href='#/reports']").await;
        wait(&page, "document.querySelector('#report-counts')", "the report's figures").await;
        let heading = text(&page, "document.querySelector('#report-figures h2').textContent").await;
        assert!(heading.contains("Bình Lư") && heading.contains("quý"), "{heading}");
        wait(&page, "document.querySelector('#report-figures #progress-chart svg rect')", "the weekly chart").await;
        let below = text(&page, "document.querySelector('#report-submissions').innerText").await;
        assert!(below.contains("Nà Ri"), "the villages below and their reports: {below}");
        for (link, magic) in [("#report-xlsx", "PK"), ("#report-docx", "PK")] {
            let signature = text(
                &page,
                &format!("fetch(document.querySelector('{link}').href).then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status)).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))"),
            )
            .await;
            assert_eq!(signature, magic, "{link} downloads a package");
        }
        screenshot(&page, "report").await;
        click(&page, "#report-submit").await;
        wait(&page, "document.querySelector('#report-message .ok')", "the report submitted").await;
        // A period that ends before it starts is refused in words, with no file.
        let refused = text(
            &page,
            "fetch('/app/reports/file?period=2025-09-30..2025-07-01&format=docx').then(r => r.status + ' ' + r.headers.get('content-type'))",
        )
        .await;
        assert!(refused.starts_with("400 application/json"), "{refused}");

        browser.close().await.unwrap();
        let _ = browser.wait().await;
        events.abort();
    });
}
