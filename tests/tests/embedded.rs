//! sse-core on a microcontroller: the firmware in `tests/embedded/` (a
//! package of its own, outside the workspace) is built for a Cortex-M4
//! (`thumbv7em-none-eabihf`) and run under QEMU's `mps2-an386`, and for
//! RISC-V (`riscv32imc-unknown-none-elf`) and run under QEMU's `virt`. Its
//! output must equal, line for line, the same runs done here on the host
//! (the firmware and this test compile the same `scenario.rs`); the host
//! decodes the chat stream in one piece, the firmware in 7-byte chunks.
//!
//! The footprint test builds the firmware with each part alone and prints
//! the table of what each adds to the empty firmware, then enforces the
//! budgets: on the Cortex-M4 the decoder adds at most 8 KiB of flash, the
//! encoder at most 4 KiB, and the decode run's stack peaks at 2 KiB at most.
//! To print the table:
//!
//! ```sh
//! cargo test -p sse-core-tests --test embedded -- --nocapture footprint
//! ```
//!
//! Needs the two Rust targets (`rustup target add thumbv7em-none-eabihf
//! riscv32imc-unknown-none-elf`) and QEMU (Debian's `qemu-system-arm` and
//! `qemu-system-misc`). Without them a test prints `skipped: ...` and
//! passes, unless the environment variable `CI` is set: then it fails.
#![cfg(all(unix, not(miri)))]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use object::{Object, ObjectSection, SectionFlags};
use sse_core::Decoder;
use sse_core::client::{Client, Reconnect};

#[path = "../embedded/src/scenario.rs"]
#[allow(dead_code)]
mod scenario;

/// The host writes every item, as the firmware that QEMU runs does.
const PRINT: bool = true;

/// How long one QEMU run may take before it is killed and the test fails
/// (the firmware needs well under a second; this only guards against a
/// hang).
const QEMU_TIMEOUT: Duration = Duration::from_secs(120);

/// Budgets on the Cortex-M4, in bytes.
const DECODER_FLASH_BUDGET: u64 = 8 * 1024;
const ENCODER_FLASH_BUDGET: u64 = 4 * 1024;
const DECODE_STACK_BUDGET: u64 = 2 * 1024;

/// A target the firmware is built for, and how QEMU runs it.
struct Target {
    triple: &'static str,
    cpu: &'static str,
    qemu: &'static str,
    qemu_args: &'static [&'static str],
}

const CORTEX_M4: Target = Target {
    triple: "thumbv7em-none-eabihf",
    cpu: "Cortex-M4",
    qemu: "qemu-system-arm",
    qemu_args: &["-machine", "mps2-an386", "-cpu", "cortex-m4"],
};

const RISCV32: Target = Target {
    triple: "riscv32imc-unknown-none-elf",
    cpu: "RISC-V",
    qemu: "qemu-system-riscv32",
    qemu_args: &["-machine", "virt", "-bios", "none"],
};

#[test]
fn cortex_m4_under_qemu_prints_what_the_host_decodes() {
    if let Some(run) = run(&CORTEX_M4) {
        assert_same_as_host(&CORTEX_M4, run);
    }
}

#[test]
fn riscv32_under_qemu_prints_what_the_host_decodes() {
    if let Some(run) = run(&RISCV32) {
        assert_same_as_host(&RISCV32, run);
    }
}

/// The footprint table, and the budgets.
#[test]
fn footprint() {
    let mut table = String::new();
    let mut over = Vec::new();
    let targets = [&CORTEX_M4, &RISCV32];
    let figures: Vec<Option<Figures>> = targets.iter().map(|target| figures(target)).collect();
    if figures.iter().all(Option::is_none) {
        return;
    }
    let cell = |value: Option<u64>| value.map_or("-".to_owned(), |v| v.to_string());
    let _ = writeln!(
        table,
        "| | Cortex-M4 (`thumbv7em-none-eabihf`) | budget | RISC-V (`riscv32imc-unknown-none-elf`) |"
    );
    let _ = writeln!(table, "|---|---:|---:|---:|");
    let rows: [(&str, Figure, Option<u64>); 9] = [
        ("empty firmware: flash in all", |f| Some(f.flash[""]), None),
        (
            "flash the decoder adds",
            |f| f.added("decoder"),
            Some(DECODER_FLASH_BUDGET),
        ),
        (
            "flash the encoder adds",
            |f| f.added("encoder"),
            Some(ENCODER_FLASH_BUDGET),
        ),
        (
            "flash the client adds (its decoder included)",
            |f| f.added("client"),
            None,
        ),
        (
            "flash the client adds to the decoder",
            |f| f.flash["client"].checked_sub(f.flash["decoder"]),
            None,
        ),
        (
            "the whole test firmware: flash in all",
            |f| Some(f.flash["all"]),
            None,
        ),
        (
            "RAM of the decoder (`size_of`)",
            |f| f.run.as_ref().map(|r| r.measure("ram decoder")),
            None,
        ),
        (
            "RAM of the client (`size_of`, its decoder included)",
            |f| f.run.as_ref().map(|r| r.measure("ram client")),
            None,
        ),
        (
            "peak stack of the decode run",
            |f| f.run.as_ref().map(|r| r.measure("stack decode")),
            Some(DECODE_STACK_BUDGET),
        ),
    ];
    for (name, value, budget) in rows {
        let arm = figures[0].as_ref().and_then(value);
        let riscv = figures[1].as_ref().and_then(value);
        let _ = writeln!(
            table,
            "| {name} | {} | {} | {} |",
            cell(arm),
            cell(budget),
            cell(riscv)
        );
        if let (Some(arm), Some(budget)) = (arm, budget) {
            if arm > budget {
                over.push(format!("{name}: {arm} bytes, over the budget of {budget}"));
            }
        }
    }
    println!(
        "\nFootprint in bytes (opt-level \"z\", LTO, panic = \"abort\"; flash = every section \
         loaded from the image; capacities: data 256, event type 32, id 32):\n\n{table}"
    );
    assert!(
        over.is_empty(),
        "over budget on the Cortex-M4:\n{}",
        over.join("\n")
    );
}

/// One figure of a target, `None` when it was not measured.
type Figure = fn(&Figures) -> Option<u64>;

/// The figures of one target: flash of each build, and the measures of the
/// full firmware's run when QEMU is there.
struct Figures {
    /// Flash by build: `""` (empty), `"decoder"`, `"encoder"`, `"client"`,
    /// `"all"` (the default features, as run under QEMU).
    flash: BTreeMap<&'static str, u64>,
    run: Option<Run>,
}

impl Figures {
    fn added(&self, part: &str) -> Option<u64> {
        self.flash[part].checked_sub(self.flash[""])
    }
}

fn figures(target: &Target) -> Option<Figures> {
    if !target_installed(target) {
        return None;
    }
    let mut flash = BTreeMap::new();
    for (name, features) in [
        ("", Some("")),
        ("decoder", Some("decoder")),
        ("encoder", Some("encoder")),
        ("client", Some("client")),
        ("all", None),
    ] {
        let elf = build(target, features);
        flash.insert(name, flash_bytes(&elf, target));
    }
    Some(Figures {
        flash,
        run: run(target),
    })
}

/// The bytes of every section that the image loads into memory: code,
/// read-only data, the vector table, and the initial values of `.data`
/// (what `llvm-size` counts as text plus data).
fn flash_bytes(elf: &[u8], target: &Target) -> u64 {
    let file = object::File::parse(elf)
        .unwrap_or_else(|e| panic!("the {} firmware is not an ELF file: {e}", target.cpu));
    file.sections()
        .filter_map(|section| match section.flags() {
            SectionFlags::Elf { sh_type, sh_flags }
                if sh_flags.0 & object::elf::SHF_ALLOC.0 != 0
                    && sh_type != object::elf::SHT_NOBITS =>
            {
                Some(section.size())
            }
            _ => None,
        })
        .sum()
}

/// What one run of the full firmware printed.
#[derive(Clone)]
struct Run {
    /// Every line but the `measure` ones.
    lines: Vec<String>,
    /// The `measure <what> <bytes>` lines.
    measures: BTreeMap<String, u64>,
}

impl Run {
    fn measure(&self, what: &str) -> u64 {
        *self
            .measures
            .get(what)
            .unwrap_or_else(|| panic!("the firmware printed no `measure {what}` line"))
    }
}

/// Builds the full firmware for `target` and runs it under QEMU, once per
/// test process; `None` (after a loud skip line) when the target or QEMU is
/// missing outside CI.
fn run(target: &Target) -> Option<Run> {
    static RUNS: [OnceLock<Option<Run>>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = if target.triple == CORTEX_M4.triple {
        &RUNS[0]
    } else {
        &RUNS[1]
    };
    slot.get_or_init(|| {
        if !target_installed(target) || !found(target.qemu) {
            return None;
        }
        let elf = build_path(target, None);
        Some(qemu(target, &elf))
    })
    .clone()
}

/// The firmware's run, compared with the same runs on the host.
fn assert_same_as_host(target: &Target, run: Run) {
    let expected = host_output();
    for (n, (got, want)) in run.lines.iter().zip(&expected).enumerate() {
        assert_eq!(
            got,
            want,
            "{}: line {} of the firmware's output differs from the host's",
            target.cpu,
            n + 1
        );
    }
    assert_eq!(
        run.lines.len(),
        expected.len(),
        "{}: the firmware printed {} lines (besides `measure`), the host {}",
        target.cpu,
        run.lines.len(),
        expected.len()
    );
    let stack = run.measure("stack decode");
    assert!(stack > 0, "{}: the stack measure saw nothing", target.cpu);
}

/// The runs of the firmware's `main`, done on the host; the chat stream is
/// decoded in one piece here, in 7-byte chunks there.
fn host_output() -> Vec<String> {
    let mut out = String::new();
    let outcome = (|| {
        scenario::banner(&mut out)?;
        let mut decoder = Decoder::<scenario::Buffers>::new();
        let mut body = scenario::CHAT;
        let mut buf = vec![0; body.len()];
        scenario::decode(&mut decoder, &mut body, &mut buf, &mut out)?;
        let mut buf = [0u8; scenario::ENCODE_BUFFER];
        let len = scenario::encode(&mut buf, &mut out)?;
        scenario::round_trip(&mut Decoder::new(), &buf[..len], &mut out)?;
        let mut client = Client::new(Decoder::<scenario::Buffers>::new(), Reconnect::new());
        scenario::client(&mut client, &mut out)
    })();
    if let Err(failure) = outcome {
        panic!("the runs fail on the host: {failure:?}\n{out}");
    }
    out.push_str("ok\n");
    out.lines().map(str::to_owned).collect()
}

/// Runs `elf` under QEMU with semihosting on, within `QEMU_TIMEOUT`; fails
/// the test unless it exits with success.
fn qemu(target: &Target, elf: &Path) -> Run {
    let mut child = Command::new(target.qemu)
        .args(target.qemu_args)
        .args([
            "-semihosting-config",
            "enable=on,target=native",
            "-nographic",
            "-kernel",
        ])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", target.qemu));
    let readers = [
        read_all(child.stdout.take().expect("piped")),
        read_all(child.stderr.take().expect("piped")),
    ];
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for qemu") {
            break Some(status);
        }
        if started.elapsed() > QEMU_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let [stdout, stderr] = readers.map(|reader| reader.join().expect("reader thread"));
    let report = |what: &str| -> ! {
        panic!(
            "{}: the firmware {what}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            target.cpu
        )
    };
    match status {
        None => report(&format!("did not finish within {QEMU_TIMEOUT:?}")),
        Some(status) if !status.success() => report(&format!("failed ({})", show(status))),
        Some(_) => {}
    }
    let mut run = Run {
        lines: Vec::new(),
        measures: BTreeMap::new(),
    };
    for line in stdout.lines() {
        match line
            .strip_prefix("measure ")
            .and_then(|m| m.rsplit_once(' '))
        {
            Some((what, bytes)) => {
                let bytes = bytes
                    .parse()
                    .unwrap_or_else(|_| report("printed a bad measure"));
                run.measures.insert(what.to_owned(), bytes);
            }
            None => run.lines.push(line.to_owned()),
        }
    }
    run
}

fn show(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => format!("{status}"),
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The firmware package.
fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("embedded")
}

/// Builds go one at a time: each writes the same output file.
fn build_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the firmware (release profile) and returns the ELF file's bytes.
/// `features`: `None` for the default features, else exactly these.
fn build(target: &Target, features: Option<&str>) -> Vec<u8> {
    let _lock = build_lock();
    let path = build_locked(target, features);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Builds the full firmware and copies the ELF file aside, for QEMU.
fn build_path(target: &Target, features: Option<&str>) -> PathBuf {
    let _lock = build_lock();
    let path = build_locked(target, features);
    let copy = path.with_file_name(format!("sse-core-firmware-{}.elf", target.triple));
    std::fs::copy(&path, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
    copy
}

fn build_locked(target: &Target, features: Option<&str>) -> PathBuf {
    let dir = firmware_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // From the package's directory, so that its .cargo/config.toml applies;
    // its own target directory (tests/embedded/target), so that the
    // workspace's build is left alone; without the flags meant for the host.
    command
        .current_dir(&dir)
        .args(["build", "--release", "--locked", "--target", target.triple])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    if let Some(features) = features {
        command.args(["--no-default-features", "--features", features]);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        output.status.success(),
        "building the {} firmware (features {features:?}) failed:\n{}",
        target.cpu,
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("target")
        .join(target.triple)
        .join("release")
        .join("sse-core-firmware")
}

/// Whether the Rust target is installed (its standard library is in the
/// sysroot); a loud skip, or a failure in CI, when it is not.
fn target_installed(target: &Target) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let installed = sysroot.is_some_and(|root| {
        root.join("lib/rustlib")
            .join(target.triple)
            .join("lib")
            .is_dir()
    });
    installed
        || skip(
            &format!("the Rust target {}", target.triple),
            "rustup target add",
        )
}

/// Whether `program` is on the PATH; a loud skip, or a failure in CI, when
/// it is not.
fn found(program: &str) -> bool {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    on_path
        || skip(
            program,
            "Debian's qemu-system-arm and qemu-system-misc packages",
        )
}

/// Prints the loud skip line and returns `false`; panics when `CI` is set.
/// `hint` says what provides `what`.
fn skip(what: &str, hint: &str) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !ci,
        "{what} not found ({hint}); CI is set, so the firmware tests must run: .ci/run installs it"
    );
    // Straight to the standard error, past the test harness's capture, so
    // that the skip shows in a passing run too.
    let line =
        format!("\n*** skipped: {what} not found ({hint}); the firmware test did not run ***\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    false
}
