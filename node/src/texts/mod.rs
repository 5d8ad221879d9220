//! Every text the `nhip` command shows a person, in Vietnamese (the default) and English. No
//! user-facing sentence lives anywhere else. `facts` words what the engine decides (refusals,
//! history entries, conflicts, refused commands), which the engine keeps as data.

mod facts;

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
}
