//! Every text the `nhip` command shows a person, in Vietnamese (the default) and English. No
//! user-facing sentence lives anywhere else. `facts` words what the engine decides (refusals,
//! history entries, conflicts, refused commands), which the engine keeps as data.

mod app;
mod facts;

pub use app::app_words;

/// The interface language.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Lang {
    /// Tiếng Việt.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// `vi` or `en` (anything else is Vietnamese).
    pub fn parse(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }
}

/// The texts in one language.
#[derive(Clone, Copy, Debug)]
pub struct Texts(pub Lang);

macro_rules! text {
    ($(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) => $vi:expr, $en:expr) => {
        $(#[$doc])*
        pub fn $name(&self, $($arg: $ty),*) -> String {
            match self.0 {
                Lang::Vi => format!($vi),
                Lang::En => format!($en),
            }
        }
    };
}

impl Texts {
    text!(/// Prefix of every error.
        error_prefix() => "Lỗi", "Error");
    text!(/// The app's login names nobody this node knows (or a name several people share).
        login_unknown_person() =>
        "Không tìm thấy cán bộ này. Nhập mã cán bộ (ví dụ nguyen-tien-thinh) hoặc họ tên đầy đủ.",
        "No such person here. Enter the person code (e.g. nguyen-tien-thinh) or the full name.");
    text!(/// A field of a form the app sent is not what it should be.
        app_bad_field(field: &str, value: &str) =>
        "Trường {field} không hợp lệ: {value:?}",
        "The field {field} is not valid: {value:?}");
    text!(/// The app was sent a file of a kind it does not read.
        app_upload_kind(name: &str) =>
        "Không đọc được tệp {name}: hãy dùng tệp Excel (.xlsx, .xls), LibreOffice (.ods) hoặc CSV.",
        "Cannot read {name}: use an Excel (.xlsx, .xls), LibreOffice (.ods) or CSV file.");
    text!(/// The app asked for an item this node does not hold.
        app_no_item() => "Nút này không có mục đó.", "This node holds no such item.");
    text!(/// A node was created.
        node_created(dir: &str, unit: &str, node: &str) =>
        "Đã tạo nút cho đơn vị {unit} tại {dir}.\nMã nút: {node}",
        "Created the node for unit {unit} in {dir}.\nNode key: {node}");
    text!(/// The data folder already holds a node.
        node_exists(dir: &str) =>
        "Thư mục {dir} đã có một nút. Dùng thư mục khác (--data) hoặc dùng nút này.",
        "{dir} already holds a node. Use another folder (--data) or this node.");
    text!(/// No node in the data folder.
        no_node(dir: &str) =>
        "Chưa có nút nào ở {dir}. Tạo bằng: nhip init --unit ĐƠN-VỊ --as NGƯỜI (hoặc nhip join TỆP-MỜI).",
        "No node in {dir}. Create one with: nhip init --unit UNIT --as PERSON (or nhip join INVITE-FILE).");
    text!(/// The log is used by another process.
        locked(dir: &str) =>
        "Sổ ở {dir} đang được một tiến trình nhip khác dùng (có thể là nhip serve). Dừng tiến trình đó hoặc chờ nó xong.",
        "The log in {dir} is in use by another nhip process (perhaps nhip serve). Stop it or wait for it.");
    text!(/// The log file fails its checksums.
        log_damaged(file: &str, detail: &str) =>
        "Tệp sổ {file} bị hỏng ({detail}). Không đọc tiếp để khỏi tin dữ liệu sai. Khôi phục từ bản sao lưu, hoặc tạo lại nút và đồng bộ lại từ nút cha.",
        "The log file {file} is damaged ({detail}). Nothing more is read from it, so nothing wrong is trusted. Restore it from a backup, or make the node again and sync it from the parent.");
    text!(/// An invitation was written.
        invite_written(file: &str, unit: &str, days: u64) =>
        "Đã tạo tệp mời cho {unit}: {file}\nChuyển tệp này cho đơn vị con (USB, thư); hết hạn sau {days} ngày, chỉ dùng được một lần.",
        "Wrote the invitation for {unit}: {file}\nGive this file to the child (USB stick, mail); it expires in {days} days and works once.");
    text!(/// Joined a parent.
        joined(parent: &str, unit: &str) =>
        "Đã gia nhập: nút cha {parent} đã ghi nhận đơn vị {unit}.",
        "Joined: parent {parent} enrolled unit {unit}.");
    text!(/// The first sync right after joining failed; the node is enrolled all the same.
        first_sync_later(reason: &str) =>
        "Chưa đồng bộ lần đầu được ({reason}). Nút đã gia nhập; chạy nhip sync (hoặc nhip serve) khi có mạng để nhận sổ đăng ký từ nút cha.",
        "The first sync did not complete ({reason}). The node is enrolled; run nhip sync (or nhip serve) when the network is back to receive the registry from the parent.");
    text!(/// Invitations need this node's registry, which comes from its parent.
        invite_needs_sync(person: &str, unit: &str) =>
        "Chưa mời được: nút này chưa biết {person} là quản trị của {unit} (sổ đăng ký chưa về từ nút cha). Chạy nhip sync trước, rồi mời lại.",
        "Cannot invite yet: this node does not know {person} as an administrator of {unit} (the registry has not come down from the parent). Run nhip sync first, then invite again.");
    text!(/// The parent refused whole chains: work that will not arrive until someone acts.
        sync_refused(count: usize) =>
        "Nút cha từ chối {count} chuỗi sự kiện; các việc trong đó CHƯA được gửi lên:",
        "The parent refused {count} chains; the work in them has NOT gone up:");
    text!(/// The invitation was refused.
        join_refused(reason: &str) =>
        "Nút cha từ chối lời mời: {reason}. Xin nút cha một tệp mời mới (nhip invite).",
        "The parent refused the invitation: {reason}. Ask the parent for a new one (nhip invite).");
    text!(/// A child was revoked.
        revoked(node: &str, unit: &str) =>
        "Đã thu hồi nút {node} ({unit}): nút này không kết nối được nữa.",
        "Revoked node {node} ({unit}): it can no longer connect.");
    text!(/// No such child.
        no_such_child(what: &str) =>
        "Không có nút con nào khớp với {what}. Xem: nhip status",
        "No child matches {what}. See: nhip status");
    text!(/// The node has no parent.
        no_parent() =>
        "Nút này chưa có nút cha (đây là nút trung tâm, hoặc chưa chạy nhip join).",
        "This node has no parent (it is the hub, or nhip join has not run).");
    text!(/// The parent refused the connection itself (revoked, or not this child's parent).
        sync_turned_away(reason: &str) =>
        "Nút cha không nhận kết nối của nút này: {reason}. Có thể nút này đã bị thu hồi; hỏi người quản trị nút cha.",
        "The parent turned this node away: {reason}. This node may have been revoked; ask the parent's administrator.");
    text!(/// A live sync failed; when it tries again.
        retry_in(seconds: u64) =>
        "Thử lại sau {seconds} giây.",
        "Trying again in {seconds} s.");
    text!(/// A systemd unit was written.
        service_written(file: &str) => "Đã ghi dịch vụ: {file}", "Wrote the service: {file}");
    text!(/// The service was enabled and started.
        service_started(name: &str) =>
        "Dịch vụ {name} đã bật: nút chạy ngay, tự chạy khi bật máy và tự khởi động lại khi lỗi.",
        "Service {name} is enabled: the node runs now, at every boot, and again after a failure.");
    text!(/// systemctl could not enable the service.
        service_not_started(error: &str, command: &str) =>
        "Chưa bật được dịch vụ ({error}). Khi systemd chạy, bật bằng: {command}",
        "The service could not be enabled ({error}). Where systemd runs, enable it with: {command}");
    text!(/// The unit was removed.
        service_removed(file: &str) =>
        "Đã gỡ dịch vụ {file}; dữ liệu của nút vẫn giữ nguyên.",
        "Removed the service {file}; the node's data stays as it was.");
    text!(/// No unit is installed.
        no_service(file: &str) => "Chưa cài dịch vụ ({file}).", "No service is installed ({file}).");
    text!(/// An invitation needs the address children reach this node at.
        invite_needs_addr(listen: &str) =>
        "Nút này lắng nghe ở {listen} (mọi địa chỉ): hãy cho biết địa chỉ mà nút con dùng để gọi nút này, ví dụ --addr 10.0.0.5:7411.",
        "This node listens on {listen} (every address): say which address its children reach it at, e.g. --addr 10.0.0.5:7411.");
    text!(/// A sync finished.
        synced(sent: u64, received: u64) =>
        "Đồng bộ xong: đã gửi {sent} sự kiện, đã nhận {received} sự kiện.",
        "Sync complete: sent {sent} events, received {received} events.");
    text!(/// A sync failed.
        sync_failed(reason: &str) =>
        "Không đồng bộ được: {reason}. Dữ liệu không mất; thử lại khi có mạng.",
        "Could not sync: {reason}. Nothing is lost; try again when the link is up.");
    text!(/// Serving.
        serving(addr: &str) =>
        "Đang phục vụ các nút con tại {addr}. Nhấn Ctrl-C để dừng.",
        "Serving children on {addr}. Press Ctrl-C to stop.");
    text!(/// `sync --watch` asked of a node that runs and keeps its live link already.
        already_live() =>
        "Nút đang chạy (nhip serve) đã giữ liên kết trực tiếp với nút cha; xem nhip status.",
        "The running node (nhip serve) keeps a live link with its parent already; see nhip status.");
    text!(/// A listener could not be opened.
        cannot_listen(addr: &str, error: &str) =>
        "Không mở được {addr} ({error}). Có thể một chương trình khác đang dùng cổng này: chọn cổng khác bằng --listen hoặc --dashboard.",
        "Cannot listen on {addr} ({error}). Another program may hold the port: choose another with --listen or --dashboard.");
    text!(/// The running node went away in the middle of a command.
        node_went_away(error: &str) =>
        "Nút đang chạy không trả lời ({error}). Lệnh có thể đã được ghi hoặc chưa: xem lại bằng nhip status hoặc danh sách.",
        "The running node stopped answering ({error}). The command may or may not have been recorded: check with nhip status or a list.");
    text!(/// Stopped cleanly.
        stopped() => "Đã dừng.", "Stopped.");
    text!(/// A second Ctrl-C or SIGTERM while stopping.
        stopped_at_once() =>
        "Dừng ngay (lần thứ hai). Mọi việc đã ghi đều an toàn; lệnh đang chạy dở không được trả lời.",
        "Stopping at once (second signal). Everything recorded is safe; commands in flight get no answer.");
    text!(/// An event was recorded.
        recorded(what: &str, id: &str) => "Đã ghi: {what} ({id})", "Recorded: {what} ({id})");
    text!(/// An id matched nothing.
        unknown_id(id: &str) =>
        "Không tìm thấy mục nào có mã bắt đầu bằng {id:?}. Xem danh sách: nhip task list",
        "No item's id starts with {id:?}. See the list: nhip task list");
    text!(/// An id matched several items.
        ambiguous_id(id: &str, count: usize) =>
        "Mã {id:?} khớp với {count} mục; gõ thêm vài ký tự.",
        "{id:?} matches {count} items; type a few more characters.");
    text!(/// A bad date.
        bad_date(text: &str) =>
        "{text:?} không phải là ngày; viết 2025-12-31 hoặc 31/12/2025.",
        "{text:?} is not a date; write 2025-12-31 or 31/12/2025.");
    text!(/// A bad code.
        bad_code(text: &str, reason: &str) =>
        "{text:?} không dùng được làm mã: {reason}",
        "{text:?} cannot be a code: {reason}");
    text!(/// Import: a bad row.
        import_row(row: usize, reason: &str) => "Dòng {row}: {reason}", "Row {row}: {reason}");
    text!(/// Import: the file has no column naming the work.
        import_needs_work_column() =>
        "cần cột \"Công việc\" (hoặc \"Nội dung\")",
        "a \"work\" column is needed (\"Công việc\" or \"Nội dung\")");
    text!(/// Import: a cell names a person this node does not know.
        import_unknown_person(text: &str) =>
        "không tìm thấy cán bộ \"{text}\" (ghi mã cán bộ, ví dụ lo-van-pao, hoặc họ tên đầy đủ)",
        "no person \"{text}\" here (write the person code, e.g. lo-van-pao, or the full name)");
    text!(/// Import: a cell names a unit this node does not know.
        import_unknown_unit(text: &str) =>
        "không tìm thấy đơn vị \"{text}\" (ghi tên đầy đủ hoặc đường dẫn, ví dụ lai-chau/binh-lu)",
        "no unit \"{text}\" here (write its full name or its path, e.g. lai-chau/binh-lu)");
    text!(/// Import: a cell is not a date.
        import_bad_date(text: &str) =>
        "\"{text}\" không phải là ngày (viết như 31/12/2025)",
        "\"{text}\" is not a date (write it as 31/12/2025)");
    text!(/// Import: nothing imported because of bad rows.
        import_refused(count: usize) =>
        "Chưa nhập gì: {count} dòng có lỗi. Sửa tệp rồi nhập lại.",
        "Nothing imported: {count} rows have errors. Fix the file and import again.");
    text!(/// Import: done.
        imported(count: usize) => "Đã nhập {count} nhiệm vụ.", "Imported {count} tasks.");
    text!(/// Export: done.
        exported(count: usize, file: &str) => "Đã xuất {count} mục ra {file}.", "Exported {count} items to {file}.");
    text!(/// Demo: header.
        demo_intro(dir: &str) =>
        "Minh họa Nhịp: một nút tỉnh, xã Bình Lư và ba bản, trên máy này (thư mục tạm {dir}).",
        "Nhịp demo: a province hub, Bình Lư commune and three villages, on this machine (temporary folder {dir}).");
    text!(/// Demo: step.
        demo_step(step: &str) => "• {step}", "• {step}");
    text!(/// Demo: serving until Ctrl-C.
        demo_serving(addr: &str) =>
        "Nút tỉnh đang chạy tại {addr}. Nhấn Ctrl-C để kết thúc.",
        "The hub runs at {addr}. Press Ctrl-C to finish.");
    text!(/// Shown beside a spinner during long work on a terminal.
        working() =>
        "Đang xử lý…",
        "Working…");
    text!(/// Where the dashboard is.
        dashboard_at(url: &str) =>
        "Bảng điều khiển / dashboard: {url}",
        "Dashboard: {url}");
    text!(/// Where the demo serves an office's app, and who may log in there.
        demo_app_login(office: &str, url: &str, people: &str) =>
        "Ứng dụng của {office}: {url} — đăng nhập: {people}",
        "The app of {office}: {url} — log in as: {people}");
    text!(/// The passphrase every official of the demo chose.
        demo_passphrase(passphrase: &str) =>
        "Mật khẩu của mọi cán bộ trong bản trình diễn: {passphrase}",
        "Every official's passphrase in the demo: {passphrase}");
    text!(/// The dashboard could not start; the node serves on without it.
        dashboard_unavailable(error: &str) =>
        "Không mở được bảng điều khiển ({error}); nút vẫn chạy. Dùng --dashboard ĐỊA-CHỈ để chọn cổng khác.",
        "The dashboard could not start ({error}); the node runs on. Use --dashboard ADDR for another port.");
    text!(/// Logged in.
        logged_in(name: &str, person: &str, minutes: u64) =>
        "Đã đăng nhập: {name} ({person}). Phiên tự kết thúc sau {minutes} phút không dùng; nhip logout để đăng xuất.",
        "Logged in: {name} ({person}). The session ends after {minutes} minutes unused; nhip logout to log out.");
    text!(/// An account was set up.
        account_ready(name: &str, person: &str, key: &str) =>
        "Đã thiết lập tài khoản cho {name} ({person}), khóa {key}. Từ nay mọi quyết định của {person} đều mang chữ ký của họ.",
        "Set up the account of {name} ({person}), key {key}. From now on every decision of {person} carries their signature.");
    text!(/// Logged out.
        logged_out() => "Đã đăng xuất.", "Logged out.");
    text!(/// Logout with no session.
        not_logged_in() => "Chưa đăng nhập.", "Not logged in.");
    text!(/// Sessions live in the running node.
        login_needs_node() =>
        "Đăng nhập cần nút đang chạy (nhip serve): phiên nằm trong bộ nhớ của nút. Khi nút không chạy, thêm --passphrase-stdin vào từng lệnh.",
        "Logging in needs the running node (nhip serve): sessions live in its memory. With no node running, add --passphrase-stdin to each command.");
    text!(/// The account set up, but no session without a running node.
        account_ready_no_session() =>
        "Nút không chạy nên chưa mở phiên; chạy nhip serve rồi nhip login.",
        "No session was opened, as the node is not running; run nhip serve, then nhip login.");
    text!(/// The session file names a session the node does not hold.
        session_ended() =>
        "Phiên đăng nhập đã kết thúc (quá lâu không dùng, hoặc nút đã khởi động lại). Đăng nhập lại: nhip login MÃ-CÁN-BỘ.",
        "Your session has ended (unused too long, or the node restarted). Log in again: nhip login PERSON.");
    text!(/// No account.
        no_account(person: &str) =>
        "{person} chưa có tài khoản. Quản trị cấp mã thiết lập (nhip person setup-code {person}), rồi: nhip login {person} --setup-code MÃ.",
        "{person} has no account yet. An administrator issues a setup code (nhip person setup-code {person}); then: nhip login {person} --setup-code CODE.");
    text!(/// The setup code does not fit.
        setup_code_invalid(person: &str) =>
        "Mã thiết lập không đúng, đã dùng hoặc đã hết hạn cho {person}. Xin quản trị cấp mã mới.",
        "The setup code is wrong, used or expired for {person}. Ask an administrator for a new one.");
    text!(/// Wrong passphrase.
        wrong_passphrase() =>
        "Cụm mật khẩu không đúng.",
        "Wrong passphrase.");
    text!(/// Held back after wrong passphrases.
        login_wait(seconds: u64) =>
        "Đã nhập sai nhiều lần: thử lại sau {seconds} giây.",
        "Too many wrong passphrases: try again in {seconds} seconds.");
    text!(/// Passphrase too short.
        passphrase_too_short(min: usize) =>
        "Cụm mật khẩu quá ngắn: cần ít nhất {min} ký tự (một câu dễ nhớ là tốt nhất).",
        "The passphrase is too short: at least {min} characters (a sentence you remember is best).");
    text!(/// Passphrase too long.
        passphrase_too_long(max: usize) =>
        "Cụm mật khẩu quá dài: tối đa {max} byte.",
        "The passphrase is too long: at most {max} bytes.");
    text!(/// Passphrase not text.
        passphrase_not_text() =>
        "Cụm mật khẩu không phải văn bản UTF-8.",
        "The passphrase is not UTF-8 text.");
    text!(/// The two typings differ.
        passphrases_differ() =>
        "Hai lần nhập cụm mật khẩu không khớp.",
        "The two passphrases differ.");
    text!(/// No passphrase given.
        passphrase_missing() =>
        "Chưa có cụm mật khẩu: nhập khi được hỏi, hoặc đưa vào stdin.",
        "No passphrase: type it when asked, or give it on standard input.");
    text!(/// The sealed key cannot be read.
        sealed_key_damaged(person: &str) =>
        "Khóa đã niêm phong của {person} bị hỏng; xin quản trị cấp mã thiết lập mới.",
        "The sealed key of {person} is damaged; ask an administrator for a new setup code.");
    text!(/// Prompt.
        passphrase_prompt(person: &str) => "Cụm mật khẩu của {person}: ", "Passphrase of {person}: ");
    text!(/// Prompt, choosing.
        passphrase_choose(person: &str) =>
        "Chọn cụm mật khẩu cho {person} (ít nhất 10 ký tự): ",
        "Choose a passphrase for {person} (at least 10 characters): ");
    text!(/// Prompt, again.
        passphrase_again() => "Nhập lại: ", "Again: ");
    text!(/// A setup code was issued.
        setup_code_issued(name: &str, person: &str, code: &str, date: &str) =>
        "Mã thiết lập cho {name} ({person}): {code}\nDùng một lần, hết hạn ngày {date}. Đưa tận tay; người đó chạy: nhip login {person} --setup-code {code}",
        "Setup code for {name} ({person}): {code}\nWorks once, expires on {date}. Hand it over in person; they run: nhip login {person} --setup-code {code}");
    text!(/// A key was revoked.
        key_revoked(person: &str, key: &str) =>
        "Đã thu hồi khóa {key} của {person}: chữ ký bằng khóa này sau thời điểm này bị từ chối ở mọi nút.",
        "Revoked {person}'s key {key}: signatures with it from now on are refused at every node.");

    text!(/// A period that is not one.
        bad_period(text: &str) =>
        "\"{text}\" không phải kỳ báo cáo. Viết: 2025-09 (tháng), Q3-2025 (quý), 9T-2025 (9 tháng), 2025 (năm), hoặc 2025-07-01..2025-09-30.",
        "\"{text}\" is not a reporting period. Write 2025-09 (month), Q3-2025 (quarter), 9T-2025 (nine months), 2025 (year) or 2025-07-01..2025-09-30.");
    text!(/// A range that ends before it starts.
        period_ends_before_start(start: &str, end: &str) =>
        "Kỳ báo cáo kết thúc ({end}) trước khi bắt đầu ({start}). Đổi lại thứ tự hai ngày.",
        "The reporting period ends ({end}) before it starts ({start}). Swap the two dates.");
    text!(/// A range that is too long.
        period_too_long() =>
        "Kỳ báo cáo dài quá hai năm. Chọn kỳ ngắn hơn.",
        "The reporting period is longer than two years. Choose a shorter one.");
    text!(/// The unit is not known.
        report_unknown_unit(unit: &str) =>
        "Không có đơn vị {unit} trong sổ đăng ký của nút này. Xem các đơn vị bằng: nhip unit list.",
        "No unit {unit} in this node's registry. See the units with: nhip unit list.");
    text!(/// The as-of date lies in the future.
        report_as_of_future(as_of: &str, today: &str) =>
        "Ngày số liệu {as_of} chưa tới (hôm nay là {today}). Chọn một ngày đã qua hoặc hôm nay.",
        "The as-of date {as_of} is in the future (today is {today}). Choose today or a day past.");
    text!(/// The period starts after the as-of date.
        report_period_after_as_of(start: &str, as_of: &str) =>
        "Kỳ báo cáo bắt đầu {start}, sau ngày số liệu {as_of}: chưa có gì để báo cáo.",
        "The period starts {start}, after the as-of date {as_of}: there is nothing to report yet.");
    text!(/// The unit has nothing to report on.
        report_nothing(unit: &str) =>
        "Đơn vị {unit} chưa có nhiệm vụ, văn bản hay chỉ tiêu nào trong sổ: không lập báo cáo trống. Kiểm tra lại đơn vị, hoặc đồng bộ trước.",
        "Unit {unit} has no tasks, documents or indicators in the log: no empty report is made. Check the unit, or sync first.");
    text!(/// A report file could not be written.
        report_write_failed(path: &str, error: &str) =>
        "Không ghi được {path}: {error}",
        "Could not write {path}: {error}");
    text!(/// The report was made.
        report_written(unit: &str, period: &str, as_of: &str) =>
        "Đã lập báo cáo {period} của {unit} (số liệu đến hết {as_of}):",
        "Made the report of {unit} for {period} (figures as of the end of {as_of}):");
    text!(/// The report's counts.
        report_counts(tasks: u32, done: u32, overdue: u32, extended: u32, waiting: u32) =>
        "  {tasks} nhiệm vụ: hoàn thành {done}, quá hạn {overdue}, gia hạn {extended}, chờ duyệt {waiting}.",
        "  {tasks} tasks: {done} done, {overdue} overdue, {extended} extended, {waiting} waiting for approval.");
    text!(/// The report was submitted.
        report_submitted(item: &str) =>
        "Đã nộp báo cáo lên cấp trên (mục {item}); cấp trên thấy khi đồng bộ.",
        "Submitted the report upward (item {item}); the level above sees it once synced.");
    text!(/// Heading of the submission status.
        report_status_title(period: &str, due: &str) =>
        "Tình hình nộp báo cáo {period} (hạn nộp {due}):",
        "Reports for {period} (due {due}):");
    text!(/// A layout that is not one.
        bad_layout(text: &str) =>
        "Không có thể thức \"{text}\": dùng state (cơ quan nhà nước) hoặc party (cơ quan Đảng).",
        "No layout \"{text}\": use state (a state body) or party (a party body).");
    text!(/// No office below this node to report.
        report_status_none() =>
        "Chưa có đơn vị cấp dưới nào gia nhập nút này.",
        "No office below this node has joined it yet.");
    text!(/// Submitted in time.
        status_submitted() => "Đã nộp", "Submitted");
    text!(/// Submitted late.
        status_late() => "Nộp muộn", "Late");
    text!(/// Not submitted, past due.
        status_missing() => "Chưa nộp", "Not submitted");
    text!(/// Not submitted, not yet due.
        status_not_yet_due() => "Chưa đến hạn", "Not yet due");

    /// Days from the period's end to the submission (negative: before the period ended).
    pub fn lag_days(&self, days: i32) -> String {
        let count = days.unsigned_abs();
        match (self.0, days < 0) {
            (Lang::Vi, false) => format!("sau kỳ {count} ngày"),
            (Lang::Vi, true) => format!("trước khi hết kỳ {count} ngày"),
            (Lang::En, false) => format!("{count} days after the period"),
            (Lang::En, true) => format!("{count} days before the period ended"),
        }
    }

    /// A submission status in words.
    pub fn submission_status(&self, status: nhip_engine::report::SubmissionStatus) -> String {
        use nhip_engine::report::SubmissionStatus;
        match status {
            SubmissionStatus::Submitted => self.status_submitted(),
            SubmissionStatus::Late => self.status_late(),
            SubmissionStatus::Missing => self.status_missing(),
            SubmissionStatus::NotYetDue => self.status_not_yet_due(),
        }
    }
}

/// The words of the report's files. Always Vietnamese, whatever the interface language: the
/// files are handed in to a Vietnamese authority.
pub mod report_words {
    /// The typeface of official documents (Decree 30/2020/NĐ-CP).
    pub const FONT: &str = "Times New Roman";
    /// The files' author.
    pub const AUTHOR: &str = "Nhịp";
    /// The document's kind.
    pub const TITLE: &str = "Báo cáo kết quả thực hiện nhiệm vụ";
    /// A section or sheet with nothing in it.
    pub const NONE: &str = "Không có";
    /// The national name.
    pub const NATIONAL_NAME: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
    /// The motto.
    pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";
    /// The issuing body of a commune.
    pub const COMMUNE_COMMITTEE: &str = "ỦY BAN NHÂN DÂN";
    /// The number and symbol, left for the office to fill in when it issues the report.
    pub const NUMBER: &str = "Số:        /BC-UBND";
    /// The same for a village, which has no people's committee.
    pub const NUMBER_VILLAGE: &str = "Số:        /BC";
    /// The document's kind, as its title.
    pub const KIND: &str = "BÁO CÁO";
    /// Recipients.
    pub const RECIPIENTS: &str = "Nơi nhận:";
    /// The file copy.
    pub const FILED: &str = "- Lưu: VT.";
    /// The signer's mandate.
    pub const ON_BEHALF: &str = "TM. ỦY BAN NHÂN DÂN";
    /// The signer's office.
    pub const CHAIR: &str = "CHỦ TỊCH";
    /// Where the clerk writes.
    pub const CLERK: &str = "[Cán bộ soạn thảo bổ sung: ";
    /// The party's name, at the top right of a party document.
    pub const PARTY_NAME: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";
    /// A party document's number and symbol, left for the office (no colon, a hyphen).
    pub const NUMBER_PARTY: &str = "Số        -BC/ĐU";
    /// The party committee's mandate.
    pub const ON_BEHALF_PARTY: &str = "T/M ĐẢNG ỦY";
    /// A party cell's mandate.
    pub const ON_BEHALF_CELL: &str = "T/M CHI BỘ";
    /// The party committee's signer.
    pub const SECRETARY: &str = "BÍ THƯ";
    /// After the standing committee above among a party document's recipients.
    pub const FOR_REPORTING_PARTY: &str = " (b/c),";
    /// The party cells and organisations below, among the recipients.
    pub const SUB_UNITS_PARTY: &str = "- Các chi, đảng bộ trực thuộc,";
    /// The party office's file copy.
    pub const FILED_PARTY: &str = "- Lưu VPĐU.";

    /// How a petition stands, in words.
    pub fn petition_word(status: nhip_engine::report::PetitionStatus) -> &'static str {
        use nhip_engine::report::PetitionStatus;
        match status {
            PetitionStatus::AnsweredInTime => PETITION_IN_TIME,
            PetitionStatus::AnsweredLate => PETITION_LATE,
            PetitionStatus::Open => PETITION_OPEN,
            PetitionStatus::OpenLate => PETITION_OPEN_LATE,
        }
    }

    /// What two events on an item both tried to change, as a report says it.
    pub fn aspect_word(aspect: &nhip_engine::state::Aspect) -> String {
        use nhip_engine::state::Aspect;
        match aspect {
            Aspect::State => ASPECT_STATE.to_owned(),
            Aspect::Deadline => ASPECT_DEADLINE.to_owned(),
            Aspect::Assignee => ASPECT_ASSIGNEE.to_owned(),
        }
    }

    /// The party organisation of a unit: `Tỉnh Lai Châu` → `Đảng bộ tỉnh Lai Châu`.
    pub fn party_of(unit: &str) -> String {
        format!("Đảng bộ {}", lower_first(unit))
    }

    /// The party committee of a unit: `Xã Bình Lư` → `Đảng ủy xã Bình Lư`; a village's is its
    /// party cell: `Bản Nà Ri` → `Chi bộ bản Nà Ri`.
    pub fn party_committee_of(unit: &str) -> String {
        if unit.starts_with("Bản ") {
            format!("Chi bộ {}", lower_first(unit))
        } else {
            format!("Đảng ủy {}", lower_first(unit))
        }
    }

    /// The standing committee of the party organisation of a unit, as a recipient: a
    /// province's is the provincial party committee's (Tỉnh ủy).
    pub fn standing_of(unit: &str) -> String {
        if unit.starts_with("Tỉnh ") {
            "Thường trực Tỉnh ủy".to_owned()
        } else {
            format!("Thường trực Đảng ủy {}", lower_first(unit))
        }
    }

    fn lower_first(text: &str) -> String {
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// The title of a submitted report's item.
    pub fn item_title(period: &str, unit: &str) -> String {
        format!("Báo cáo kết quả thực hiện nhiệm vụ {period} — {unit}")
    }
    /// Where a name is still missing.
    pub const SIGNER_MISSING: &str = "(Ký, ghi rõ họ tên)";
    /// The chart's caption.
    pub const CHART_CAPTION: &str = "Biểu đồ: số nhiệm vụ hoàn thành trong tuần (cột xanh) và số nhiệm vụ quá hạn cuối tuần (cột đỏ), theo tuần của kỳ báo cáo";
    /// The appendix's title.
    pub const APPENDIX: &str = "PHỤ LỤC";
    /// The appendix's subtitle.
    pub const APPENDIX_TITLE: &str = "DANH MỤC NHIỆM VỤ TRONG KỲ";

    /// Section headings.
    pub const H_TASKS: &str = "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ";
    /// Sub-heading.
    pub const H_OVERVIEW: &str = "1. Tình hình chung";
    /// Sub-heading.
    pub const H_OVERDUE: &str = "2. Nhiệm vụ quá hạn";
    /// Sub-heading.
    pub const H_EXTENDED: &str = "3. Nhiệm vụ đã gia hạn";
    /// Sub-heading.
    pub const H_WAITING: &str = "4. Nhiệm vụ, văn bản chờ duyệt";
    /// Section.
    pub const H_DOCUMENTS: &str = "II. XÂY DỰNG, THÔNG QUA VĂN BẢN";
    /// Section.
    pub const H_PETITIONS: &str = "III. TIẾP CÔNG DÂN, GIẢI QUYẾT ĐƠN THƯ";
    /// Section.
    pub const H_INSPECTIONS: &str = "IV. KIỂM TRA, GIÁM SÁT";
    /// Section.
    pub const H_INDICATORS: &str = "V. THỰC HIỆN CÁC CHỈ TIÊU";
    /// Section.
    pub const H_CONFLICTS: &str = "VI. XUNG ĐỘT CHƯA GIẢI QUYẾT";
    /// Section.
    pub const H_ROLLUP: &str = "VII. TỔNG HỢP THEO ĐƠN VỊ";
    /// Section.
    pub const H_ASSESSMENT: &str = "VIII. ĐÁNH GIÁ CHUNG VÀ PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI";

    /// Sheet names (at most 31 characters).
    pub const SHEET_SUMMARY: &str = "Tổng hợp";
    /// Sheet.
    pub const SHEET_TASKS: &str = "Nhiệm vụ";
    /// Sheet.
    pub const SHEET_DONE: &str = "Hoàn thành trong kỳ";
    /// Sheet.
    pub const SHEET_OVERDUE: &str = "Quá hạn";
    /// Sheet.
    pub const SHEET_EXTENDED: &str = "Gia hạn";
    /// Sheet.
    pub const SHEET_WAITING: &str = "Chờ duyệt";
    /// Sheet.
    pub const SHEET_DOCUMENTS: &str = "Văn bản";
    /// Sheet.
    pub const SHEET_PETITIONS: &str = "Đơn thư";
    /// Sheet.
    pub const SHEET_INSPECTIONS: &str = "Kiểm tra";
    /// Sheet.
    pub const SHEET_INDICATORS: &str = "Chỉ tiêu";
    /// Sheet.
    pub const SHEET_CONFLICTS: &str = "Xung đột";
    /// Sheet.
    pub const SHEET_ROLLUP: &str = "Theo đơn vị";
    /// Sheet.
    pub const SHEET_WEEKS: &str = "Theo tuần";

    /// Summary lines and roll-up headers.
    pub const UNIT: &str = "Đơn vị";
    /// Summary line.
    pub const PERIOD: &str = "Kỳ báo cáo";
    /// Summary line.
    pub const PERIOD_START: &str = "Từ ngày";
    /// Summary line.
    pub const PERIOD_END: &str = "Đến ngày";
    /// Summary line.
    pub const AS_OF: &str = "Số liệu đến hết ngày";
    /// Summary line.
    pub const TASKS: &str = "Nhiệm vụ";
    /// Summary line.
    pub const DONE: &str = "Hoàn thành trong kỳ";
    /// Summary line.
    pub const OVERDUE: &str = "Quá hạn";
    /// Summary line.
    pub const EXTENDED: &str = "Đã gia hạn";
    /// Summary line.
    pub const WAITING: &str = "Chờ duyệt";
    /// Summary line.
    pub const ADOPTED: &str = "Văn bản được thông qua trong kỳ";
    /// Summary line.
    pub const PETITIONS_RECEIVED: &str = "Đơn thư tiếp nhận trong kỳ";
    /// Summary line.
    pub const PETITIONS_IN_TIME: &str = "Đơn thư trả lời đúng hạn";
    /// Summary line.
    pub const PETITIONS_LATE: &str = "Đơn thư trả lời trễ hạn";
    /// Summary line.
    pub const INSPECTIONS_OPEN: &str = "Việc kiểm tra, giám sát đang theo dõi";
    /// Summary line.
    pub const INDICATORS: &str = "Chỉ tiêu";
    /// Summary line.
    pub const INDICATORS_MET: &str = "Chỉ tiêu đạt và vượt";
    /// Summary line.
    pub const CONFLICTS: &str = "Xung đột chưa giải quyết";
    /// Summary line.
    pub const EVENTS: &str = "Số sự kiện trong sổ";
    /// Summary line.
    pub const STATE_HASH: &str = "Mã băm trạng thái";

    /// Column header.
    pub const COL_ITEM: &str = "Nội dung";
    /// Column header.
    pub const COL_VALUE: &str = "Số liệu";
    /// Column header.
    pub const COL_NO: &str = "STT";
    /// Column header.
    pub const COL_WORK: &str = "Nhiệm vụ";
    /// Column header.
    pub const COL_PERSON: &str = "Người thực hiện";
    /// Column header.
    pub const COL_LEAD: &str = "Đơn vị chủ trì";
    /// Column header.
    pub const COL_COORDINATING: &str = "Đơn vị phối hợp";
    /// Column header.
    pub const COL_DEADLINE: &str = "Thời hạn";
    /// Column header.
    pub const COL_DEADLINE_NOW: &str = "Thời hạn hiện tại";
    /// Column header.
    pub const COL_STATE: &str = "Tình trạng";
    /// Column header.
    pub const COL_PROGRESS: &str = "Tiến độ";
    /// Column header.
    pub const COL_LAST_NOTE: &str = "Ghi chú gần nhất";
    /// Column header.
    pub const COL_NOTE_DATE: &str = "Ngày ghi chú";
    /// Column header.
    pub const COL_UNIT: &str = "Đơn vị";
    /// Column header.
    pub const COL_FINISHED_ON: &str = "Ngày kết thúc";
    /// Column header.
    pub const COL_DAYS_LATE: &str = "Số ngày quá hạn";
    /// Column header.
    pub const COL_EXTENSIONS: &str = "Số lần gia hạn";
    /// Column header.
    pub const COL_REASONS: &str = "Ngày gia hạn → thời hạn mới: lý do";
    /// Column header.
    pub const COL_DOCUMENT: &str = "Văn bản";
    /// Column header.
    pub const COL_ADOPTED_ON: &str = "Ngày thông qua";
    /// Column header.
    pub const COL_VOTES_YES: &str = "Tán thành";
    /// Column header.
    pub const COL_VOTES_NO: &str = "Không tán thành";
    /// Column header.
    pub const COL_CONTENT: &str = "Nội dung";
    /// Column header.
    pub const COL_RECEIVED_ON: &str = "Ngày tiếp nhận";
    /// Column header.
    pub const COL_ANSWER_BY: &str = "Hạn trả lời";
    /// Column header.
    pub const COL_ANSWERED_ON: &str = "Ngày trả lời";
    /// Column header.
    pub const COL_ASSESSMENT: &str = "Đánh giá";
    /// Column header.
    pub const COL_INDICATOR: &str = "Chỉ tiêu";
    /// Column header.
    pub const COL_MEASURE: &str = "Đơn vị tính";
    /// Column header.
    pub const COL_INDICATOR_PERIOD: &str = "Kỳ";
    /// Column header.
    pub const COL_TARGET: &str = "Kế hoạch";
    /// Column header.
    pub const COL_ACHIEVED: &str = "Thực hiện";
    /// Column header.
    pub const COL_ATTAINMENT: &str = "Tỷ lệ đạt";
    /// Column header.
    pub const COL_CONFLICT: &str = "Nội dung xung đột";
    /// Column header.
    pub const COL_CONFLICT_ON: &str = "Ngày phát sinh";
    /// Column header.
    pub const COL_WEEK: &str = "Tuần";
    /// Column header.
    pub const COL_WEEK_FROM: &str = "Từ ngày";
    /// Column header.
    pub const COL_OVERDUE_AT_END: &str = "Quá hạn cuối tuần";

    /// Petition status.
    pub const PETITION_IN_TIME: &str = "Trả lời đúng hạn";
    /// Petition status.
    pub const PETITION_LATE: &str = "Trả lời trễ hạn";
    /// Petition status.
    pub const PETITION_OPEN: &str = "Đang giải quyết, trong hạn";
    /// Petition status.
    pub const PETITION_OPEN_LATE: &str = "Đang giải quyết, quá hạn";
    /// Conflict aspect.
    pub const ASPECT_STATE: &str = "Hai nơi thay đổi tình trạng khác nhau";
    /// Conflict aspect.
    pub const ASPECT_DEADLINE: &str = "Hai nơi đặt thời hạn khác nhau";
    /// Conflict aspect.
    pub const ASPECT_ASSIGNEE: &str = "Hai nơi giao cho người khác nhau";

    /// Column header.
    pub const COL_REASON: &str = "Lý do gia hạn";
    /// Column header.
    pub const COL_VOTES: &str = "Tán thành / không";
    /// Column header.
    pub const COL_DONE_SHORT: &str = "Hoàn thành";
    /// Column header.
    pub const COL_PETITIONS_SHORT: &str = "Đơn thư";
    /// Column header.
    pub const COL_CONFLICTS_SHORT: &str = "Xung đột";
    /// After the parent's name among the recipients.
    pub const FOR_REPORTING: &str = " (để báo cáo)";
    /// The sub-units among the recipients.
    pub const SUB_UNITS: &str = "- Các đơn vị trực thuộc;";
    /// A village's signer.
    pub const VILLAGE_HEAD: &str = "TRƯỞNG BẢN";
    /// Words of a unit's name that say its kind, left out of the place name.
    pub const PLACE_PREFIXES: [&str; 6] =
        ["Xã ", "Phường ", "Thị trấn ", "Đặc khu ", "Bản ", "Tỉnh "];
    /// The clerk's prompt after the overview.
    pub const CLERK_OVERVIEW: &str = "nhận xét về tiến độ chung, kết quả nổi bật trong kỳ";
    /// The clerk's prompt after the overdue table.
    pub const CLERK_OVERDUE: &str =
        "nguyên nhân quá hạn và biện pháp khắc phục đối với từng nhiệm vụ";
    /// The assessment's parts: heading and the clerk's prompt.
    pub const ASSESSMENT: [(&str, &str); 3] = [
        ("1. Ưu điểm", "những mặt làm được, kết quả nổi bật"),
        (
            "2. Hạn chế, nguyên nhân",
            "hạn chế, khó khăn và nguyên nhân chủ quan, khách quan",
        ),
        (
            "3. Phương hướng, nhiệm vụ kỳ tới",
            "nhiệm vụ trọng tâm, giải pháp và kiến nghị, đề xuất với cấp trên",
        ),
    ];

    /// The document's subject line.
    pub fn subject(period: &str) -> String {
        format!("Kết quả thực hiện nhiệm vụ {period}")
    }

    /// The opening paragraph.
    pub fn opening(unit: &str, period: &str, as_of: &str) -> String {
        format!(
            "Thực hiện chế độ thông tin, báo cáo định kỳ, {unit} báo cáo kết quả thực hiện nhiệm vụ {period} như sau (số liệu tổng hợp từ sổ công việc đến hết {as_of}):"
        )
    }

    /// The overview's counts.
    pub fn overview(
        period: &str,
        tasks: u32,
        done: u32,
        overdue: u32,
        extended: u32,
        waiting: u32,
    ) -> String {
        format!(
            "Trong {period}, đơn vị theo dõi {tasks} nhiệm vụ; hoàn thành trong kỳ {done} nhiệm vụ; {overdue} nhiệm vụ quá hạn chưa hoàn thành; {extended} nhiệm vụ đã được gia hạn; {waiting} nhiệm vụ, văn bản đang chờ duyệt."
        )
    }

    /// Before the list of tasks done.
    pub fn done_intro(count: usize) -> String {
        format!("Các nhiệm vụ hoàn thành trong kỳ ({count}):")
    }

    /// A task's last note, after its title.
    pub fn with_note(note: &str) -> String {
        if note.is_empty() {
            ";".to_owned()
        } else {
            format!(": {note};")
        }
    }

    /// Documents.
    pub fn documents(total: usize, adopted: u32) -> String {
        format!(
            "Trong kỳ theo dõi {total} văn bản, dự toán; đã thông qua, phê duyệt {adopted} văn bản."
        )
    }

    /// Petitions.
    pub fn petitions(received: u32, in_time: u32, late: u32, open_late: u32) -> String {
        format!(
            "Trong kỳ tiếp nhận {received} đơn thư, kiến nghị; trả lời đúng hạn {in_time}, trả lời trễ hạn {late}; {open_late} đơn đang giải quyết đã quá thời hạn luật định."
        )
    }

    /// Indicators.
    pub fn indicators(total: u32, met: u32) -> String {
        format!("Có {met}/{total} chỉ tiêu đạt và vượt kế hoạch.")
    }

    /// Conflicts.
    pub fn conflicts(count: u32) -> String {
        if count == 0 {
            "Không có xung đột dữ liệu chưa giải quyết.".to_owned()
        } else {
            format!(
                "Có {count} trường hợp hai nơi cập nhật khác nhau trên cùng một nhiệm vụ khi mất kết nối, cần người có thẩm quyền xem xét, quyết định."
            )
        }
    }

    /// The closing line.
    pub fn closing(unit: &str) -> String {
        format!("Trên đây là báo cáo kết quả thực hiện nhiệm vụ của {unit}./.")
    }

    /// Where the figures come from, in small print at the end.
    pub fn provenance(events: u64, as_of: &str, hash: &str) -> String {
        format!(
            "Số liệu lập tự động từ sổ công việc Nhịp: {events} sự kiện được ghi nhận đến hết {as_of}; mã băm trạng thái {hash}. Lập lại với cùng kỳ và cùng ngày số liệu cho đúng tệp này."
        )
    }

    /// The last row of a table cut short.
    pub fn more_rows(count: usize) -> String {
        format!("… và {count} dòng nữa: xem đầy đủ trong bảng tính (XLSX) kèm theo.")
    }

    /// The last row of a sheet cut short.
    pub fn more_sheet_rows(count: usize) -> String {
        format!("… và {count} dòng nữa (xuất đầy đủ bằng: nhip export)")
    }

    /// Under the appendix's title.
    pub fn appendix_of(unit: &str, period: &str) -> String {
        format!("(Kèm theo Báo cáo kết quả thực hiện nhiệm vụ {period} của {unit})")
    }
}
