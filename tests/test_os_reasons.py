"""The operating system's reasons in the user's language (engine.messages.os_reason), at every place they show.

Oracles: under English the reason is the OS's own text (``os.strerror``, the C library's words); in Chinese it
is the hand-written translation below; an errno the table does not hold keeps the OS's text.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import sys
from pathlib import Path

import pytest

from engine.i18n import lang_scope
from engine.messages import os_reason, os_text

CJK = re.compile(r"[\u4e00-\u9fff]")

# the errnos a person meets with files, ports and servers, and what a Chinese reader should see
EXPECTED_ZH = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "权限不足",
    errno.EPERM: "操作不允许",
    errno.EEXIST: "文件已存在",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "只读文件系统",
    errno.EADDRINUSE: "地址已被占用",
    errno.EADDRNOTAVAIL: "无法使用所请求的地址",
    errno.ECONNREFUSED: "连接被拒绝",
    errno.ETIMEDOUT: "连接超时",
    errno.EHOSTUNREACH: "没有通往该主机的路由",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EDQUOT: "超出磁盘配额",
    errno.EFBIG: "文件过大",
}


@pytest.mark.parametrize("code", sorted(EXPECTED_ZH), ids=lambda c: errno.errorcode[c])
def test_common_errnos_in_chinese_and_the_os_english(code):
    exc = OSError(code, os.strerror(code), "/some/path")
    with lang_scope("zh"):
        assert os_reason(exc) == EXPECTED_ZH[code]
    with lang_scope("en"):
        assert os_reason(exc) == os.strerror(code)  # English unchanged: the OS's own words


@pytest.mark.skipif(sys.platform != "linux", reason="the catalogue's English is glibc's text")
def test_every_errno_of_the_table_is_translated_and_english_is_the_os_text():
    from engine.messages import _os_keys, t

    keys, gai = _os_keys()
    assert set(EXPECTED_ZH) <= set(keys)
    for code, key in keys.items():
        zh, en = t.entries[key]
        assert en == os.strerror(code), key  # the catalogue's English is what the OS says (Linux, glibc)
        assert CJK.search(zh) and not re.search(r"[A-Za-z]", zh), key
    assert gai[socket.EAI_NONAME] == "os.eai_noname"


def test_english_is_the_text_the_os_gave_whatever_the_catalogue_says():
    exc = OSError(errno.EACCES, "Permission denied (this platform's words)")
    with lang_scope("en"):
        assert os_reason(exc) == "Permission denied (this platform's words)"
    with lang_scope("zh"):
        assert os_reason(exc) == "权限不足"


def test_unknown_errno_falls_back_to_the_os_text():
    with lang_scope("zh"):
        assert os_reason(OSError(errno.ENOEXEC, "Exec format error")) == "Exec format error"
        assert os_reason(OSError("no errno at all")) == "no errno at all"
        assert os_reason(UnicodeError("label too long")) == "label too long"


def test_resolver_errors_are_told_apart_from_errnos():
    # getaddrinfo's codes are small negative numbers on Linux; they must not be read as errnos
    exc = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with lang_scope("zh"):
        assert os_reason(exc) == "主机名或服务名未知"
    with lang_scope("en"):
        assert os_reason(exc) == "Name or service not known"


def test_a_reason_quoted_inside_a_library_message_is_translated():
    text = 'connection to server at "127.0.0.1", port 5499 failed: Connection refused'
    with lang_scope("zh"):
        assert os_text(text) == 'connection to server at "127.0.0.1", port 5499 failed: 连接被拒绝'
    with lang_scope("en"):
        assert os_text(text) == text


# -- where the reasons show ------------------------------------------------------------------------------
def test_serve_host_not_of_this_machine(zh):
    from engine.errors import WenzhengError
    from live.app import listen_socket

    with pytest.raises(WenzhengError) as info:
        listen_socket("192.0.2.1", 0)  # TEST-NET-1: never an address of this machine
    assert str(info.value) == ("--host 192.0.2.1 不是本机的地址（无法使用所请求的地址）；请用本机的一个地址，如 127.0.0.1，"
                               "或 0.0.0.0（所有地址）")


def test_serve_host_that_does_not_resolve(zh, monkeypatch):
    from engine.errors import WenzhengError
    from live import app

    def no_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(app.socket, "getaddrinfo", no_name)
    with pytest.raises(WenzhengError) as info:
        app.listen_socket("no-such-host", 8000)
    assert str(info.value) == "--host no-such-host 不是可用的主机名或地址：主机名或服务名未知"


def test_serve_port_denied(zh, monkeypatch):
    from engine.errors import WenzhengError
    from live import app

    class Denied(socket.socket):
        def bind(self, address):
            raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(app.socket, "socket", Denied)
    with pytest.raises(WenzhengError) as info:
        app.listen_socket("127.0.0.1", 80)
    assert str(info.value).startswith("无权监听 127.0.0.1:80（权限不足）")


def test_drive_target_that_does_not_resolve(zh, monkeypatch):
    import asyncio

    from live.drive import DriveError, _wait_up

    def no_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_name)
    with pytest.raises(DriveError) as info:
        asyncio.run(_wait_up(None, "http://no-such-host:8000", 0))
    assert str(info.value) == "无法解析 --target 的主机名 no-such-host：主机名或服务名未知"


def test_store_file_sqlite_cannot_create(zh, tmp_path):
    from engine.errors import SourceError
    from live.store import migrate, open_db

    # the file is a link into a folder that does not exist: SQLite only says "unable to open database file"
    (tmp_path / "live.db").symlink_to(tmp_path / "gone" / "live.db")
    with pytest.raises(SourceError) as info:
        migrate(open_db(f"sqlite:///{tmp_path / 'live.db'}"))
    msg = info.value.problems[0].message
    assert msg.endswith("-wal、-shm 文件）：文件或文件夹不存在"), msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db"]  # the probes left nothing behind


def test_rules_directory_with_a_name_too_long(zh, capsys):
    from wenzheng.cli import main

    assert main(["validate", "/tmp/" + "长" * 200]) == 2
    err = capsys.readouterr().err
    assert "无法读取规则目录：文件名过长" in err and "File name too long" not in err


def test_rule_file_that_cannot_be_read(zh, tmp_path):
    from engine.errors import SourceError
    from engine.yamlsrc import load_yaml

    with pytest.raises(SourceError) as info:
        load_yaml(tmp_path / ("x" * 300 + ".yaml"), SourceError)
    assert info.value.problems[0].message == "无法读取文件：文件名过长"


def test_cli_os_error_outside_any_command_check(zh, monkeypatch, capsys):
    from wenzheng import cli

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/rules")

    monkeypatch.setattr("engine.lint.lint", refuse)
    assert cli.main(["lint", "rules"]) == 2
    err = capsys.readouterr().err
    assert "/srv/rules: 权限不足" in err and "Permission denied" not in err


def test_output_folder_on_a_read_only_file_system(zh, tmp_path, monkeypatch):
    from wenzheng import outputs

    real_open = os.open

    def erofs(path, *args, **kwargs):
        if Path(path).parent == tmp_path:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", erofs)
    with pytest.raises(outputs.OutputError) as info:
        outputs._check_parent("--out", tmp_path / "r")
    assert str(info.value).endswith("：只读文件系统"), str(info.value)


def test_live_config_that_is_a_folder(zh, tmp_path):
    from engine.errors import SourceError
    from live.config import _read

    with pytest.raises(SourceError) as info:
        _read(tmp_path)
    assert info.value.problems[0].message.endswith("这是一个文件夹，不是文件"), info.value.problems[0].message
