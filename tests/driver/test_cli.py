"""lxrun's command line and lifecycle: exit codes and messages for bad flags,
missing apps, Lua errors and busy ports; lx.log on stderr; SIGINT, SIGTERM
and lx.stop() end it with exit 0."""

import os
import signal
import socket
import time

import lxtest
from lxtest import Lxrun, check, run_lxrun


IDLE_APP = "function update() end\n"


def test_bad_flag_exits_2():
    code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--no-such-flag"])
    check(code == 2, f"exit {code}")
    check(err.startswith("lxrun: error: ") and "--no-such-flag" in err, f"stderr {err!r}")
    code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--seed"])
    check(code == 2, f"missing value: exit {code}")
    code, _, err = run_lxrun(["--listen", "0"])
    check(code == 2 and "--app" in err, f"no --app: exit {code}, {err!r}")


def test_bad_listen_syntax_exits_2():
    for bad in ["abc", "127.0.0.1:99999", "::1:80", "host.example:80", "[::1]80"]:
        code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--listen", bad])
        check(code == 2, f"--listen {bad}: exit {code}")
        check(err.startswith("lxrun: error: --listen"), f"--listen {bad}: {err!r}")


def test_missing_app_dir_exits_2_with_path():
    code, _, err = run_lxrun(["--app", "/nonexistent/app/dir"])
    check(code == 2, f"exit {code}")
    check("/nonexistent/app/dir" in err, f"stderr {err!r}")


def test_missing_main_lua_exits_2():
    app = lxtest.make_app({"other.lua": "x = 1\n"})
    code, _, err = run_lxrun(["--app", app])
    check(code == 2, f"exit {code}")
    check(os.path.join(app, "main.lua") in err, f"stderr {err!r}")


def test_syntax_error_at_start_exits_1_with_file_and_line():
    app = lxtest.make_app({"main.lua": "local x = 1\nlocal y = = 2\n"})
    code, _, err = run_lxrun(["--app", app, "--listen", "127.0.0.1:0"])
    check(code == 1, f"exit {code}; stderr {err!r}")
    check(err.startswith("lxrun: error: ") and "main.lua:2:" in err, f"stderr {err!r}")
    check("listening on" not in err, "it reported listening although the app failed")


def test_app_symlink_leading_outside_is_refused_unless_allowed():
    outside = lxtest.make_app({"main.lua": "", "secret.lua": 'return "the secret"\n'})
    app = lxtest.make_app({"main.lua": 'lx.log("got " .. require("secret"))\n'
                                       'function update() lx.stop() end\n',
                           "sub/real.lua": "return 1\n"})
    secret_link = os.path.join(app, "secret.lua")
    os.symlink(os.path.join(outside, "secret.lua"), secret_link)
    # A link that stays inside the app directory is read as before.
    os.symlink(os.path.join(app, "sub", "real.lua"), os.path.join(app, "inside.lua"))
    code, _, err = run_lxrun(["--app", app], timeout=5)
    check(code == 2, f"exit {code}, want 2; stderr {err!r}")
    real_outside = os.path.realpath(os.path.join(outside, "secret.lua"))
    check(err.count("\n") == 1 and err.startswith(f"lxrun: error: app file {secret_link} is a "
                                                  f"symbolic link to {real_outside}, outside the "
                                                  "app directory")
          and "--app-follow-symlinks" in err, f"unclear message: {err!r}")
    code, _, err = run_lxrun(["--app", app, "--app-follow-symlinks"], timeout=5)
    check(code == 0 and "lxrun: got the secret" in err, f"exit {code}; stderr {err!r}")
    # /etc/passwd (readable by anyone) stands for /etc/shadow.
    os.unlink(secret_link)
    os.symlink("/etc/passwd", secret_link)
    code, _, err = run_lxrun(["--app", app], timeout=5)
    check(code == 2 and "/etc/passwd" in err, f"exit {code}; stderr {err!r}")


def test_port_in_use_exits_1_naming_port():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        code, _, err = run_lxrun(["--app", lxtest.make_app({"main.lua": IDLE_APP}),
                                  "--listen", f"127.0.0.1:{port}"])
    finally:
        holder.close()
    check(code == 1, f"exit {code}; stderr {err!r}")
    check(str(port) in err and "in use" in err, f"stderr {err!r}")


def test_lx_log_lines_on_stderr_prefixed():
    app = lxtest.make_app({"main.lua": 'lx.log("hello from", "main", 42)\n'
                                'local said = false\n'
                                'function update()\n'
                                '  if not said then said = true; lx.log("first update") end\n'
                                'end\n'})
    run = Lxrun(app)
    run.wait_line(r"^lxrun: hello from\tmain\t42$|^lxrun: hello from main 42$")
    run.wait_line(r"^lxrun: first update$")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_sigint_stops_within_3_s_with_exit_0():
    run = Lxrun(lxtest.sample("echo"))
    with lxtest.connect(run.port) as sock:  # an open client must not hold it up
        sock.sendall(b"x")
        check(sock.recv(1) == b"x", "no echo")
        started = time.monotonic()
        code = run.stop(signal.SIGINT, timeout=3)
        check(code == 0, f"exit {code}")
        check(time.monotonic() - started < 3, "took too long")


def test_stop_with_undeliverable_output_ends_after_grace():
    run = Lxrun(lxtest.sample("echo"))
    sock = lxtest.fill_unread_output(run.port)
    started = time.monotonic()
    code = run.stop(signal.SIGINT, timeout=3)
    elapsed = time.monotonic() - started
    sock.close()
    check(code == 0, f"exit {code}")
    check(0.5 < elapsed < 2.5, f"stopping took {elapsed:.2f} s, expected about the 1 s grace")


def test_second_sigint_exits_at_once():
    run = Lxrun(lxtest.sample("echo"))
    sock = lxtest.fill_unread_output(run.port)
    run.proc.send_signal(signal.SIGINT)
    run.wait_line(r"^lxrun: stopping on SIGINT$")
    started = time.monotonic()
    code = run.stop(signal.SIGINT, timeout=3)
    sock.close()
    check(code == 1, f"exit {code}")
    check(time.monotonic() - started < 0.5, "the second SIGINT did not end it at once")
    check("exiting at once" in run.stderr_text(), run.stderr_text())


def test_sigterm_stops_with_exit_0():
    run = Lxrun(lxtest.sample("http"))
    check(run.stop(signal.SIGTERM, timeout=3) == 0, "exit code")


def test_app_stop_exits_0():
    # Without a tick, update() runs again only because the app asks to.
    app = lxtest.make_app({"main.lua": "local n = 0\n"
                                "function update() n = n + 1; lx.after(0.01)\n"
                                "  if n == 3 then lx.stop() end end\n"})
    code, _, err = run_lxrun(["--app", app], timeout=5)
    check(code == 0, f"exit {code}; stderr {err!r}")
    # With --tick-ms, every tick runs it.
    app = lxtest.make_app({"main.lua": "local n = 0\n"
                                "function update() n = n + 1; if n == 3 then lx.stop() end end\n"})
    code, _, err = run_lxrun(["--app", app, "--tick-ms", "10"], timeout=5)
    check(code == 0, f"exit {code}; stderr {err!r}")


def test_app_args_reach_lx_args():
    app = lxtest.make_app({"main.lua": 'lx.log("args:" .. table.concat(lx.args, ","))\n'
                                "function update() lx.stop() end\n"})
    code, _, err = run_lxrun(["--app", app, "--", "one", "--two", "3"], timeout=5)
    check(code == 0, f"exit {code}; stderr {err!r}")
    check("lxrun: args:one,--two,3" in err, f"stderr {err!r}")


def test_rescan_reloads_and_keeps_old_code_on_error():
    app = lxtest.make_app({"main.lua": 'function update() lx.log("v1"); lx.rescan() end\n'})
    run = Lxrun(app, listen=0)
    run.wait_line(r"^lxrun: v1$")
    # Each version lands whole (a rename), so no rescan reads a file half
    # written: that would be an error of its own, reported once more.
    def replace_main(text):
        with open(os.path.join(app, "main.lua.new"), "w") as out:
            out.write(text)
        os.replace(os.path.join(app, "main.lua.new"), os.path.join(app, "main.lua"))

    replace_main("function update( broken\n")
    run.wait_line(r"^lxrun: error: rescan: .*main\.lua:\d+:")
    check(run.proc.poll() is None, "lxrun died on a bad rescan")
    replace_main('local said\nfunction update() if not said then said = 1; lx.log("v2") end end\n')
    run.wait_line(r"^lxrun: v2$", timeout=10)
    errors = [line for line in run.lines if "error: rescan" in line]
    check(len(errors) == 1, f"the same rescan error was reported {len(errors)} times")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_ipv6_listen():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        raise lxtest.SkipTest("no IPv6 loopback")
    run = Lxrun(lxtest.sample("echo"), listen=0, extra=["--listen", "[::1]:0"], wait_ready=False)
    run.wait_line(r"^lxrun: listening on \[::1\]:\d+$")
    with socket.create_connection(("::1", run.ports[0]), timeout=5) as sock:
        sock.sendall(b"six")
        check(lxtest.recv_exactly(sock, 3) == b"six", "no echo over IPv6")
    check(run.stop() == 0, "lxrun did not exit 0")


lxtest.main(globals())
