"""The data dictionary in the portal: an operator opens it from the home page; an institution
neither sees the link nor gets the page (403: the page documents the whole warehouse, so it is
refused as forbidden, not hidden as missing); before any build the operator is told there is none
yet (404)."""

from __future__ import annotations

import shutil

import pytest

from pipelines.common.settings import Settings
from pipelines.warehouse import dictionary
from tests.portal.test_portal import Portal


def _signed_in(portal: Portal, who: str) -> Portal:
    response = portal.client.sign_in(portal.tokens[who])
    assert response.status_code == 303
    return portal


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


@pytest.mark.warehouse
def test_an_operator_opens_the_dictionary_of_the_last_build(example_home, portal):
    built = dictionary.dictionary_path(Settings.from_env(example_home))
    served = dictionary.dictionary_path(portal.settings)
    served.parent.mkdir(parents=True)
    shutil.copy(built, served)  # the page `ciess build` published, in the portal's own home

    home = _signed_in(portal, "operator").client.get("/")
    assert 'href="/docs/data-dictionary"' in home.text
    page = portal.client.get("/docs/data-dictionary")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "model.ciess_warehouse.capacity_by_institution" in page.text
    assert page.content == built.read_bytes()


def test_an_institution_neither_sees_nor_gets_the_dictionary(portal):
    served = dictionary.dictionary_path(portal.settings)
    served.parent.mkdir(parents=True)
    served.write_text("<!DOCTYPE html><title>dbt Docs</title>", encoding="utf-8")
    home = _signed_in(portal, "AR-ANSES").client.get("/")
    assert home.status_code == 200 and "/docs/data-dictionary" not in home.text
    refused = portal.client.get("/docs/data-dictionary")
    assert refused.status_code == 403 and "operators only" in refused.json()["detail"]


def test_before_any_build_the_operator_is_told_there_is_no_dictionary_yet(portal):
    response = _signed_in(portal, "operator").client.get("/docs/data-dictionary")
    assert response.status_code == 404
    assert response.json()["detail"] == "no data dictionary yet: `ciess build` makes one when it publishes"


def test_signed_out_the_dictionary_leads_to_the_sign_in_page(portal):
    response = portal.client.get("/docs/data-dictionary", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
