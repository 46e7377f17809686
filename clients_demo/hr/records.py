"""The HR platform's records: employees (a demonstration record is made the first time a
person logs in), CVs and grievances. Plain functions over the app's store."""

import hashlib
import secrets
import time
from datetime import date

from ..rp.session import store

SCHEMA = """
CREATE TABLE IF NOT EXISTS hr_employees (
    sub TEXT PRIMARY KEY,
    employee_number TEXT NOT NULL,
    name TEXT NOT NULL,
    ministry TEXT NOT NULL,
    department TEXT NOT NULL,
    job_title TEXT NOT NULL,
    grade TEXT NOT NULL,
    hired_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hr_cvs (
    sub TEXT PRIMARY KEY,
    education TEXT NOT NULL,
    experience TEXT NOT NULL,
    skills TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hr_grievances (
    number TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    acr TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
"""
MINISTRIES = ("Ministry of Labour", "Ministry of Health", "Ministry of Education",
              "Ministry of Housing")
DEPARTMENTS = ("Human resources", "Finance", "Information technology", "Public services")
TITLES = ("Administrative officer", "Senior specialist", "Systems analyst", "Accountant")
GRADES = ("Grade 7", "Grade 8", "Grade 9", "Grade 10")
SUBJECTS = ("Promotion", "Allowances", "Leave", "Evaluation", "Working conditions", "Other")
DECISIONS = ("upheld", "dismissed")
STATUS_LABELS = {"submitted": "Under review", "upheld": "Upheld", "dismissed": "Dismissed"}


def employee(sub, name):
    row = store().one("SELECT * FROM hr_employees WHERE sub = ?", sub)
    if row is not None:
        return row
    seed = hashlib.sha256(sub.encode()).digest()
    hired = date(2005 + seed[4] % 15, 1 + seed[5] % 12, 1 + seed[6] % 28)
    store().run(
        "INSERT OR IGNORE INTO hr_employees (sub, employee_number, name, ministry, department, "
        "job_title, grade, hired_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        sub, f"E{int.from_bytes(seed[:3], 'big') % 10**6:06d}", name,
        MINISTRIES[seed[0] % 4], DEPARTMENTS[seed[1] % 4], TITLES[seed[2] % 4],
        GRADES[seed[3] % 4], hired.isoformat())
    return store().one("SELECT * FROM hr_employees WHERE sub = ?", sub)


def service_length(hired_on, today):
    """(years, months) of service from `hired_on` (ISO date) to `today`."""
    hired = date.fromisoformat(hired_on)
    months = (today.year - hired.year) * 12 + today.month - hired.month
    if today.day < hired.day:
        months -= 1
    return max(months, 0) // 12, max(months, 0) % 12


def cv(sub):
    return store().one("SELECT * FROM hr_cvs WHERE sub = ?", sub)


def save_cv(sub, education, experience, skills, now):
    store().run("INSERT OR REPLACE INTO hr_cvs (sub, education, experience, skills, updated_at) "
                "VALUES (?, ?, ?, ?, ?)", sub, education, experience, skills, now)


def file_grievance(sub, subject, description, acr, now):
    number = f"GRV-{time.strftime('%Y', time.gmtime(now))}-{secrets.randbelow(10**6):06d}"
    store().run("INSERT INTO hr_grievances (number, sub, subject, description, acr, status, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'submitted', ?)",
                number, sub, subject, description, acr, now)
    return number


def grievances_of(sub):
    return store().all("SELECT * FROM hr_grievances WHERE sub = ? ORDER BY created_at DESC, "
                       "number", sub)


def grievance(number, sub=None):
    row = store().one("SELECT * FROM hr_grievances WHERE number = ?", number)
    if row is None or (sub is not None and row["sub"] != sub):
        return None
    return row


def open_grievances():
    return store().all("SELECT * FROM hr_grievances WHERE status = 'submitted' "
                       "ORDER BY created_at, number")


def decide(number, decision, result, reviewer, now):
    return store().run("UPDATE hr_grievances SET status = ?, result = ?, decided_by = ?, "
                       "decided_at = ? WHERE number = ? AND status = 'submitted'",
                       decision, result, reviewer, now, number) == 1
