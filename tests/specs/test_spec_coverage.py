"""The specs hold exactly the operations api-facts.md documents (§D1-D3), minus the admin-only and
catch-all rows, plus the contract's own read of one campaign, with the fixed operationIds; old-only
routes are deprecated."""

from __future__ import annotations

from collections import Counter

from openapi_walk import load, operations

# "METHOD path": (operationId, deprecated). The source of truth for issue #2's coverage.
MAIN = {
    "GET /status/": ("getStatus", False),
    "POST /auth": ("signIn", False),
    "POST /auth/refresh_token": ("refreshToken", False),
    "GET /partners/": ("getPartner", False),
    "GET /partners/attribution_model_default": ("getPartnerAttributionModelDefault", False),
    "PUT /partners/attribution_model": ("setPartnerAttributionModel", False),
    "GET /partners/{partner_id}/backhaul_attribution_details": ("getPartnerBackhaulAttributionDetails", True),
    "POST /partners/{partner_id}/backhaul_attribution_details": (
        "updatePartnerBackhaulAttributionDetails",
        True,
    ),
    "GET /permissions": ("listPermissions", False),
    "GET /prompts/custom_prompt": ("getCustomPrompt", False),
    "GET /events/": ("listEvents", False),
    "GET /events": ("searchEvents", True),
    "GET /events/statistics": ("getEventsStatistics", False),
    "GET /events/flagged/": ("listFlaggedEvents", False),
    "GET /events/venues": ("listVenues", False),
    "GET /events/{eid}": ("getEvent", False),
    "GET /events/{eid}/series": ("listEventSeries", False),
    "GET /events/{eid}/statistics": ("getEventStatistics", False),
    "GET /events/{eid}/benchmark": ("getEventBenchmark", True),
    "GET /events/{eid}/sales-graph": ("getEventSalesGraph", True),
    "GET /events/{eid}/lookout_prediction_benchmark": ("getLookoutPredictionBenchmark", False),
    "GET /events/{eid}/lookout_prediction": ("getLookoutPrediction", False),
    "GET /events/{eid}/tickets": ("getEventTickets", False),
    "GET /events/{eid}/clusters": ("getEventClusters", False),
    "GET /events/{eid}/campaigns": ("listEventCampaigns", False),
    "GET /events/{eid}/attribution_model": ("getEventAttributionModel", False),
    "PUT /events/{eid}/attribution_model": ("setEventAttributionModel", False),
    "GET /events/{eid}/default_campaigns_parameters": ("getDefaultCampaignsParameters", False),
    "GET /events/{eid}/budget_min_max": ("getBudgetMinMax", False),
    "GET /events/{eid}/suggested_tcs": ("getSuggestedTcs", False),
    "GET /events/{eid}/campaigns_expected_value": ("getCampaignsExpectedValue", False),
    "PUT /events/{eid}/setup_frontend_status": ("setEventFrontendStatus", False),
    "PUT /events/{eid}/client_campaign_status": ("setClientCampaignStatus", False),
    "GET /events/{eid}/client_campaign_status/task": ("getClientCampaignStatusTask", False),
    "PUT /events/{eid}/campaign_optimisation_status": ("setCampaignOptimisationStatus", False),
    "PUT /events/{eid}/reset_campaigns_setup": ("resetCampaignsSetup", True),
    "GET /daily_revenue_summary/": ("getDailyRevenueSummary", False),
    "DELETE /daily_revenue_summary/": ("clearSales", False),
    "GET /daily_revenue_summary/sales_edit_export": ("exportSalesEdit", False),
    "POST /daily_revenue_summary/sales_edit_export": ("importSalesEdit", False),
    "POST /ingest/transaction_summary": ("ingestTransactionSummary", False),
    "POST /ingest/transaction_summary/from_excel": ("ingestTransactionSummaryFromExcel", False),
    "GET /campaigns/statistics": ("getCampaignsStatistics", False),
    "POST /setup_processes/{eid}": ("createSetupProcess", False),
    "GET /setup_processes/{eid}": ("getSetupProcess", False),
    "PUT /setup_processes/{eid}": ("replaceSetupProcess", False),
    "DELETE /setup_processes/{eid}": ("deleteSetupProcess", False),
    "POST /setup_processes/{eid}/boost": ("boostSetupProcess", False),
    "GET /setup_processes/call_to_action/": ("listCallToActions", False),
    "GET /setup_processes/event_types": ("listSetupEventTypes", False),
    "POST /campaigns_setup": ("editPublishedCampaign", False),
    "POST /campaigns/new_runtime_budget": ("setCampaignsRuntimeBudget", True),
    # Not a row of api-facts.md: the contract's read of one campaign (specs/README.md, Decisions).
    "GET /campaigns/{eid}/{tc}/{tc_run_id}": ("getCampaign", False),
    "PUT /campaigns/{eid}/{tc}/{tc_run_id}/creative": ("replaceCampaignCreative", True),
    "PUT /campaigns/{partner_id}/{eid}/{tc}/{tc_run_id}/target_audience": (
        "replaceCampaignTargetAudience",
        True,
    ),
    "PUT /campaigns/{eid}/{tc}/{tc_run_id}/ignore": ("ignoreCampaign", True),
    "GET /integrations/facebook/events/{eid}/campaign_results": ("getFacebookCampaignResults", False),
    "GET /integrations/facebook/events/{eid}/fb_insights": ("getFacebookInsights", False),
    "GET /integrations/connect/facebook/status": ("getFacebookConnectionStatus", False),
    "GET /meta/authorization/status": ("getMetaAuthorizationStatus", True),
    "GET /campaign_results/": ("listCampaignResults", True),
    "POST /campaign_results/": ("createCampaignResult", True),
    "DELETE /campaign_results/": ("deleteCampaignResult", True),
    "GET /package_builder/packages/": ("listPackages", True),
    "POST /package_builder/packages": ("createPackage", True),
    "POST /package_builder/packages/merge": ("mergePackages", True),
    "GET /package_builder/packages/{package_id}": ("getPackage", True),
    "GET /package_builder/packages/{package_id}/backhaul_evaluation_details": (
        "getPackageBackhaulEvaluationDetails",
        True,
    ),
    "PUT /package_builder/packages/{package_id}/backhaul_evaluation_details": (
        "updatePackageBackhaulEvaluationDetails",
        True,
    ),
    "GET /package_builder/packages/{package_id}/backhaul_evaluation": ("getPackageBackhaulEvaluation", True),
    "GET /package_builder/packages/{package_id}/{tc}/customer_list": ("getPackageCustomerList", True),
    "GET /nlq/ids_from_nl_description": ("getIdsFromNlDescription", True),
    "GET /messages/partner/": ("listPartnerMessages", False),
    "PUT /messages/{message_id}/markasread": ("markMessageRead", False),
    "GET /messages/totalunread": ("getUnreadMessagesCount", False),
    "GET /tasks/{task_id}": ("getTask", False),
    "POST /storage/multipart-upload": ("startMultipartUpload", False),
    "PUT /storage/multipart-upload": ("completeMultipartUpload", False),
    "POST /storage/presigned-url": ("createPresignedUrl", False),
    "POST /media": ("uploadMedia", False),
}
CR = {
    "GET /events/{eid}": ("crGetEvent", False),
    "PUT /events/{eid}": ("crSaveEvent", False),
    "POST /events/": ("crCreateSimulationEvent", False),
    "POST /events/bulk_upload": ("crBulkUpload", False),
    "PUT /events/last_updated_on_fe/{eid}": ("crSetLastUpdatedOnFe", False),
}
# Rows of api-facts.md that must stay out (admin-only, internal, catch-all, or without any known shape).
EXCLUDED_PREFIXES = (
    "/auth/users",
    "/notifications",
    "/recommendations",
    "/campaigns/by_partner_id",
    "/messages/partner/{partner_id}",
)


def _table(host: str) -> dict[str, tuple[str, bool]]:
    return {
        f"{op.method.upper()} {op.path}": (op.id, bool(op.op.get("deprecated")))
        for op in operations(load(host), host)
    }


def test_main_spec_holds_exactly_the_documented_operations() -> None:
    table = _table("main")
    assert sorted(set(MAIN) - set(table)) == [], "documented but missing"
    assert sorted(set(table) - set(MAIN)) == [], "in the spec but not in the coverage table"
    assert {k: v for k, v in table.items() if v != MAIN[k]} == {}, "operationId or deprecated flag differs"


def test_cr_spec_holds_exactly_the_five_cr_routes() -> None:
    assert _table("cr") == CR


def test_admin_only_and_catch_all_rows_stay_out() -> None:
    paths = [op.path for op in operations(load("main"), "main")]
    assert [p for p in paths if p.startswith(EXCLUDED_PREFIXES)] == []
    assert [p for p in paths if p.startswith("/prompts/") and p != "/prompts/custom_prompt"] == []
    methods = {f"{op.method.upper()} {op.path}" for op in operations(load("main"), "main")}
    assert {"POST /partners/", "POST /campaigns/"} & methods == set()


def test_report_counts() -> None:
    per_tag = {
        host: Counter(op.op["tags"][0] for op in operations(load(host), host)) for host in ("main", "cr")
    }
    for host, counts in per_tag.items():
        print(f"{host}: {sum(counts.values())} operations", dict(sorted(counts.items())))
    assert sum(per_tag["main"].values()) == len(MAIN)
    assert sum(per_tag["cr"].values()) == 5
