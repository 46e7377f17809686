"""HR platform against the live provider: job data, service statement and CV with any
login; a grievance needs level 2 (step-up), is tracked by its number, decided by a
reviewer, and its result shown to the employee only."""

import re

import pytest
import requests

from clients_demo import hr
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .demo_support import STEP_UP
from .demo_support import Person
from .demo_support import access_token
from .demo_support import demo_apps
from .demo_support import facts


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def demo(start_demo):
    return start_demo(hr.create_app, "demo-hr", HR_REVIEWERS=["reviewer-1"])


def test_job_data_statement_and_cv_with_a_level_1_login(issuer, demo):
    person = Person(issuer)
    job = person.get(demo.url + "/job", acr=LEVEL_1)
    assert job.status_code == 200
    me = facts(job)
    assert re.fullmatch(r"E\d{6}", me["employee-number"]) and me["name"] == "Test citizen-1"
    statement = person.get(demo.url + "/statement")
    assert re.fullmatch(r"\d+ years and \d+ months", facts(statement)["service-length"])
    download = person.http.get(demo.url + "/statement.txt")
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="service-statement-{me["employee-number"]}.txt"'
    assert me["employee-number"] in download.text
    assert person.get(demo.url + "/job").text == job.text  # the same record every time

    cv = person.get(demo.url + "/cv")
    saved = person.post(demo.url + "/cv", {"education": "BSc Accounting",
                                          "experience": "Ten years", "skills": "Arabic"},
                        page=cv)
    assert saved.status_code == 200 and "Your CV has been saved." in saved.text
    assert "BSc Accounting" in saved.text
    too_long = person.post(demo.url + "/cv", {"education": "x" * 2001}, page=saved)
    assert too_long.status_code == 400 and "at most 2000 characters" in too_long.text
    assert "BSc Accounting" in person.get(demo.url + "/cv").text


def test_a_grievance_needs_level_2_and_is_tracked_and_decided(issuer, demo):
    employee = Person(issuer)
    listing = employee.get(demo.url + "/grievances", acr=LEVEL_1)
    assert listing.status_code == 200 and "No grievances yet." in listing.text
    step_up = employee.http.get(demo.url + "/grievances/new", allow_redirects=False)
    assert step_up.headers["Location"] == "/login?next=/grievances/new&acr=level-2"
    form = employee.get(demo.url + "/grievances/new", acr=LEVEL_2)
    bad = employee.post(demo.url + "/grievances/new", {"subject": "Bribes", "description": "x"},
                        page=form)
    assert bad.status_code == 400
    filed = employee.post(demo.url + "/grievances/new",
                          {"subject": "Promotion", "description": "Passed over twice."},
                          page=bad)
    shown = facts(filed)
    number = shown["number"]
    assert re.fullmatch(r"GRV-\d{4}-\d{6}", number) and shown["status"] == "Under review"

    tracked = employee.get(demo.url + "/grievances/track?number=" + number.lower())
    assert tracked.url == demo.url + "/grievances/" + number
    unknown = employee.get(demo.url + "/grievances/track?number=GRV-0000-000000")
    assert unknown.status_code == 404 and "No grievance with this number." in unknown.text

    colleague = Person(issuer, sub="citizen-2")
    colleague.get(demo.url + "/grievances")
    assert colleague.get(demo.url + "/grievances/" + number).status_code == 404
    assert colleague.get(demo.url + "/grievances/track?number=" + number).status_code == 404
    assert colleague.get(demo.url + "/review", acr=LEVEL_2).status_code == 403

    reviewer = Person(issuer, sub="reviewer-1")
    queue = reviewer.get(demo.url + "/review", acr=LEVEL_2)
    assert number in queue.text
    reviewer.post(demo.url + "/review/" + number,
                  {"decision": "upheld", "result": "Promotion granted from next month."},
                  page=queue)
    assert number not in reviewer.get(demo.url + "/review").text
    again = reviewer.post(demo.url + "/review/" + number,
                          {"decision": "dismissed", "result": "No."})
    assert again.status_code == 404

    result = facts(employee.get(demo.url + "/grievances/" + number))
    assert result["status"] == "Upheld"
    assert result["result"] == "Promotion granted from next month."


def test_the_grievance_api_answers_rfc_9470(issuer, demo):
    _, low = access_token(issuer, demo, LEVEL_1)
    refused = requests.get(demo.url + "/api/grievances",
                           headers={"Authorization": "Bearer " + low["access_token"]},
                           timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == STEP_UP
    _, high = access_token(issuer, demo, LEVEL_2)
    listed = requests.get(demo.url + "/api/grievances",
                          headers={"Authorization": "Bearer " + high["access_token"]},
                          timeout=10)
    assert listed.status_code == 200 and listed.json() == {"grievances": []}
