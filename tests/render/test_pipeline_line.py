"""The live view's pipeline line: the four buffers in a row and the programs at each end,
abbreviated to fit any width and never wrapped; and a view off a pipeline without it."""

from __future__ import annotations

import pytest
from rich.console import Console
from test_live_view import numbers, rendered

from bpcopy.render.live import render_live
from bpcopy.render.pipeline_line import EndReading, compact_size, fit_pipeline_line
from bpcopy.render.process_names import program_name

KIB = 1024
TAR = EndReading("pipe", 64 * KIB, 64 * KIB, False, (("tar -cf - /etc", 812),))
GZIP = EndReading("pipe", 0, 64 * KIB, False, (("gzip -9", 815),))


def line(upstream=TAR, downstream=GZIP, width=200, source="-", dest="-") -> str:
    text = fit_pipeline_line(upstream, downstream, source, dest, width)
    assert "\n" not in text.plain
    return text.plain


def test_a_wide_line_spells_out_names_pids_kinds_and_sizes():
    assert line() == ("tar -cf - /etc (pid 812) → [pipe 64.0 KiB/64.0 KiB] → readable → "
                      "writable → [pipe 0 B/64.0 KiB] → gzip -9 (pid 815)")


def test_at_100_columns_sizes_go_compact_first():
    assert line(width=100) == ("tar -cf - /etc (pid 812) → [pipe 64K/64K] → readable → "
                               "writable → [pipe 0/64K] → gzip -9 (pid 815)")


def test_at_40_columns_the_four_buffers_and_both_programs_remain():
    fitted = line(width=40)
    assert len(fitted) <= 40
    assert fitted == "tar 812→[64K/64K]→r→w→[0/64K]→gzip 815"


@pytest.mark.parametrize("width", range(12, 130))
def test_every_width_gets_one_line_no_wider_than_itself(width):
    long_names = EndReading("fifo", 5000, 1 << 20, False,
                            (("/usr/local/bin/a-producer-with-a-long-name --flag", 4242),
                             ("sh -c 'a-producer-with-a-long-name --flag'", 4241)))
    for upstream, downstream in ((TAR, GZIP), (long_names, GZIP), (None, long_names),
                                 (long_names, None)):
        fitted = fit_pipeline_line(upstream, downstream, "in.bin", "out.bin", width)
        assert fitted.cell_len <= width
        assert "\n" not in fitted.plain


def test_long_commands_give_way_to_the_program_then_are_cut_with_an_ellipsis():
    python = EndReading("pipe", 61440, 64 * KIB, False,
                        (("/usr/local/bin/python3 /srv/jobs/slow_sink.py", 1482),))
    assert line(downstream=python, width=100).endswith("→ python3 (pid 1482)")
    assert line(downstream=python, width=40) == "tar→[64K/64K]→r→w→[60K/64K]→python3"
    cut = line(downstream=python, width=32)
    assert len(cut) == 32 and "…" in cut and "[64K/64K]" in cut and "[60K/64K]" in cut


def test_too_narrow_for_names_the_buffers_alone_remain():
    assert line(width=24) == "[64K/64K]→r→w→[0/64K]"


def test_a_shell_s_waiting_subshell_does_not_hide_the_program_it_started():
    both = EndReading("pipe", 0, 64 * KIB, False, (("bash", 900), ("gzip -9", 901)))
    wide = line(downstream=both)
    assert wide.endswith("→ bash (pid 900), gzip -9 (pid 901)")
    assert line(downstream=both, width=60).endswith("→gzip 901 +1")


def test_a_socket_s_capacity_is_marked_approximate_and_an_unread_buffer_unknown():
    socket_end = EndReading("socket", 1200, 212992, True, ())
    unread = EndReading("pipe", None, None, False, ())
    text = line(upstream=socket_end, downstream=unread, source="stdin", dest="stdout")
    assert text == ("stdin → [socket 1.17 KiB/~208 KiB] → readable → writable → [pipe ?] → "
                    "stdout")


def test_an_end_that_is_a_file_shows_the_file_s_name():
    assert line(upstream=None, source="/data/in.bin", width=100) == (
        "/data/in.bin → readable → writable → [pipe 0 B/64.0 KiB] → gzip -9 (pid 815)")


def test_a_full_pipe_is_drawn_in_the_colour_of_a_buffer_at_its_mark():
    text = fit_pipeline_line(TAR, GZIP, "-", "-", 200)
    styles = {text.plain[span.start:span.end]: str(span.style) for span in text.spans}
    assert styles["[pipe 64.0 KiB/64.0 KiB]"] == "yellow"  # less than 4 KiB of room
    assert styles["[pipe 0 B/64.0 KiB]"] == "dim"


def test_compact_sizes_fit_five_cells():
    assert [compact_size(size) for size in (0, 512, 1023, 1024, 4096, 65536, 212992,
                                            (1 << 20) - 1, 5 << 30)] == \
        ["0", "512", "1023", "1.0K", "4.0K", "64K", "208K", "1.0M", "5.0G"]


def test_a_program_is_named_without_its_directory_and_arguments():
    assert program_name("/usr/bin/python3 -c 'print(1)'") == "python3"
    assert program_name("gzip -9") == "gzip"
    assert program_name("'/tmp/odd dir/my prog' x") == "'my prog'"  # quoted as it must be
    assert program_name("[kworker/0:1]") == "[kworker/0:1]"  # a name, not a path


def test_the_live_view_shows_the_line_under_its_title_in_a_pipeline():
    view = rendered(numbers(upstream=TAR, downstream=GZIP, source="stdin", dest="stdout"),
                    width=100)
    lines = view.splitlines()
    assert lines[0].startswith("bpcopy stdin → stdout")
    assert lines[1] == ("tar -cf - /etc (pid 812) → [pipe 64K/64K] → readable → writable → "
                        "[pipe 0/64K] → gzip -9 (pid 815)")


@pytest.mark.parametrize("width", [40, 60, 100])
def test_the_line_is_fitted_to_the_width_the_view_is_drawn_at(width):
    console = Console(record=True, width=width, color_system=None,
                      file=open("/dev/null", "w"))
    console.print(render_live(numbers(upstream=TAR, downstream=GZIP, source="stdin",
                                      dest="stdout")))
    console.file.close()
    view = console.export_text().splitlines()
    assert view[1] == line(width=width)  # under the title
    assert all(len(row.rstrip()) <= width for row in view)


def test_off_a_pipeline_the_view_has_no_such_line():
    view = rendered(numbers())
    assert "→ readable → writable →" not in view and "r→w" not in view
    assert view == rendered(numbers(upstream=None, downstream=None))


@pytest.mark.parametrize("width", [40, 100, 200])
def test_control_characters_in_a_command_are_shown_never_sent_to_the_terminal(width):
    # Another program's argv is not ours to send to the terminal: a newline would wrap
    # the line, an escape sequence would act on the screen. Each is written as cp does.
    odd = EndReading("pipe", 0, 64 * KIB, False,
                     (("python3 -c 'a\nb' '\x1b[2J'", 4242),))
    fitted = fit_pipeline_line(odd, GZIP, "stdin", "stdout", width)
    assert "\n" not in fitted.plain and "\x1b" not in fitted.plain, fitted.plain
    assert fitted.cell_len <= width


def test_a_program_name_with_control_characters_is_shown_escaped():
    assert program_name("'\x1b[2Jevil' -x") == "''$'\\033''[2Jevil'"
