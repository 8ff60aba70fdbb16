"""What an import found: every refused cell as (row, column, value, rule), the counts of
what was (or would be) saved, and the preview's first rows. A job stores it as a dict."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

HEADER = "表头"  # the column of a problem with the header row itself (a column missing)


@dataclass(frozen=True)
class RowError:
    row: int  # the row number in the spreadsheet (the header is row 1)
    column: str
    value: str
    rule: str

    def line(self) -> str:
        if self.column == HEADER:
            return f"第{self.row}行（表头）：{self.rule}"
        shown = f"“{self.value}”" if self.value else "（空）"
        return f"第{self.row}行 【{self.column}】{shown}：{self.rule}"


@dataclass
class ImportReport:
    station: str = ""
    source: str = ""  # what was read: “CSV（GB18030）”, “XLSX”
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0  # all errors, also when ``errors`` keeps only the first ones
    error_row_total: int = 0  # rows with an error, likewise
    candidates_created: int = 0
    candidates_updated: int = 0
    registrations_created: int = 0
    registrations_unchanged: int = 0
    dry_run: bool = False
    saved: bool = False
    problem: str = ""  # a refusal of the whole file that is not one row's (a conflict on saving)
    preview: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the file's known columns, as preview values are
    error_values: dict[int, list[str]] = field(default_factory=dict)  # refused rows' values, masked

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem

    @property
    def header_refused(self) -> bool:
        """The header row itself was refused: no data row was checked."""
        return bool(self.errors) and self.rows == 0 and all(error.row == 1 for error in self.errors)

    @property
    def error_rows(self) -> int:
        return self.error_row_total or len({error.row for error in self.errors})

    def errors_by_row(self) -> dict[int, list[RowError]]:
        grouped: dict[int, list[RowError]] = defaultdict(list)
        for error in self.errors:
            grouped[error.row].append(error)
        return dict(sorted(grouped.items()))

    def summary(self) -> str:
        if self.problem:
            return f"导入被拒绝：{self.problem}"
        if self.header_refused:
            return (
                "导入被拒绝：文件的表头（第1行）与导入模板不符，数据行未检查，未保存任何数据。"
                "请按下列说明改正表头后重新导入。"
            )
        if self.errors:
            return (
                f"导入被拒绝：{self.rows} 行中有 {self.error_rows} 行不符合规则（共 {self.error_total} 处），"
                "整个文件未保存任何数据。请按下列行号改正后重新导入。"
            )
        done = "检查通过（仅检查，未保存）" if not self.saved else "导入完成"
        return (
            f"{done}：共 {self.rows} 行；新增报名 {self.registrations_created} 条，"
            f"已存在未变更 {self.registrations_unchanged} 条；新增考生 {self.candidates_created} 人，"
            f"更新考生信息 {self.candidates_updated} 人。"
        )

    def lines(self) -> list[str]:
        lines = [self.summary()]
        lines += [error.line() for error in self.errors]
        if self.error_total > len(self.errors):
            lines.append(f"……另有 {self.error_total - len(self.errors)} 处错误未列出。")
        return lines

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "station": self.station,
            "source": self.source,
            "rows": self.rows,
            "errors": [[e.row, e.column, e.value, e.rule] for e in errors],
            "error_total": self.error_total,
            "error_row_total": self.error_row_total,
            "candidates_created": self.candidates_created,
            "candidates_updated": self.candidates_updated,
            "registrations_created": self.registrations_created,
            "registrations_unchanged": self.registrations_unchanged,
            "dry_run": self.dry_run,
            "saved": self.saved,
            "problem": self.problem,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        report = cls(**{k: v for k, v in data.items() if k != "errors"})
        report.errors = [RowError(*e) for e in data.get("errors", [])]
        return report


class ImportRefused(Exception):
    """The file cannot be read at all (not CSV or XLSX, unknown encoding, empty)."""
