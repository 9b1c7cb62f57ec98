"""Built-in import mappings for the usual CRM exports: ``salesforce``, ``hubspot`` and ``generic``.

A preset is written exactly like a mapping YAML file (see :mod:`terrkit.crm.mapping`), as a Python
dict, and is validated by the same code. Each field lists the column names the CRM writes; when a
field lists several, the first one the file's header has is used. Header names are compared after
dropping case, blanks and punctuation, so ``AccountId``, ``Account ID`` and ``account_id`` all match.

- **salesforce**: the Data Loader (or report) exports of ``Account``, ``Opportunity`` and, optionally,
  ``User``. ``account_id`` is the Account ``Id`` and ``rep_id`` the User ``Id`` (``OwnerId``), so the
  load files terrkit writes later (``ObjectId``, ``UserId``) refer to the same records. A won opportunity
  is ``IsWon`` true, or, without that column, ``StageName`` *Closed Won*.
- **hubspot**: the ``companies`` and ``deals`` exports and, optionally, an ``owners`` (users) file.
  ``account_id`` is the company's ``Record ID``; a deal counts for the first of its ``Associated Company
  IDs``. ``rep_id`` is the owner's email (how HubSpot imports assign owners), else the ``Owner ID``; without
  an owners file it is the ``Company owner`` value as exported. A won deal has the stage ``closedwon``
  (internal name) or *Closed Won* (label).
- **generic**: one row per order line with the customer, a postal code, a date and an amount (optionally
  the customer's name and billing ZIP, and the owner or rep); optionally a customers file and a reps file.
  Every order line counts as a sale.
"""

from __future__ import annotations

from typing import Any

SALESFORCE: dict[str, Any] = {
    "description": "Salesforce exports: Account, Opportunity and (optional) User",
    "files": {
        "accounts": {
            "label": "Account",
            "required": True,
            "columns": {
                "account_id": "Id",
                "name": "Name",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "annual_revenue": "AnnualRevenue",
                "zip": "BillingPostalCode",
                "state": "BillingState",
                "lat": "BillingLatitude",
                "lon": "BillingLongitude",
                "owner": "OwnerId",
            },
        },
        "sales": {
            "label": "Opportunity",
            "required": True,
            "columns": {
                "account_id": "AccountId",
                "date": "CloseDate",
                "amount": "Amount",
                "won": "IsWon",
                "stage": "StageName",
            },
        },
        "reps": {
            "label": "User",
            "required": False,
            "columns": {"rep_id": "Id", "name": "Name", "email": "Email", "zip": "PostalCode"},
        },
    },
    "won": {"flag_values": ["true", "1", "yes"], "stages": ["Closed Won"]},
}

HUBSPOT: dict[str, Any] = {
    "description": "HubSpot exports: companies, deals and (optional) owners",
    "files": {
        "accounts": {
            "label": "companies",
            "required": True,
            "columns": {
                "account_id": ["Record ID", "Company ID"],
                "name": ["Company name", "Name"],
                "industry": "Industry",
                "employees": "Number of Employees",
                "annual_revenue": "Annual Revenue",
                "zip": ["Postal Code", "Zip", "Zip Code"],
                "state": ["State/Region", "State"],
                "owner": ["Company owner", "HubSpot Owner"],
            },
        },
        "sales": {
            "label": "deals",
            "required": True,
            "account_separator": ";",
            "columns": {
                "account_id": [
                    "Associated Company IDs",
                    "Associated Company ID",
                    "Associated Company IDs (Primary)",
                    "Company ID",
                    "Company Record ID",
                ],
                "date": "Close Date",
                "amount": "Amount",
                "stage": ["Deal Stage", "Stage"],
            },
        },
        "reps": {
            "label": "owners",
            "required": False,
            "columns": {
                "rep_id": ["Email", "Owner email", "User email", "Owner ID", "User ID"],
                "owner_id": ["Owner ID", "User ID"],
                "name": ["Name", "Owner name", "Full name"],
                "zip": ["Postal Code", "Zip", "Zip Code"],
            },
        },
    },
    "won": {"stages": ["closedwon", "Closed Won"]},
}

_CUSTOMER = ["customer_id", "customer_number", "customer_no", "account_id", "customer", "account"]
_OWNER = ["owner", "owner_rep_id", "rep", "rep_id", "sales_rep", "salesperson"]
_ZIP = ["postal_code", "zip", "zip_code", "postcode"]

GENERIC: dict[str, Any] = {
    "description": "order lines (customer, postal code, date, amount), optional customers and reps files",
    "files": {
        "sales": {
            "label": "orders",
            "required": True,
            "columns": {
                "account_id": _CUSTOMER,
                "account_name": ["customer_name", "account_name", "company"],
                "zip": _ZIP,
                "billing_zip": ["billing_zip", "billing_postal_code"],
                "date": ["date", "order_date", "invoice_date"],
                "amount": ["amount", "net_amount", "revenue", "sales", "value"],
                "owner": _OWNER,
                "industry": "industry",
                "employees": "employees",
                "annual_revenue": "annual_revenue",
                "revenue_band": "revenue_band",
            },
        },
        "accounts": {
            "label": "customers",
            "required": False,
            "columns": {
                "account_id": _CUSTOMER,
                "name": ["name", "customer_name", "account_name", "company"],
                "zip": ["billing_zip", "billing_postal_code", *_ZIP],
                "state": "state",
                "lat": ["lat", "latitude"],
                "lon": ["lon", "longitude"],
                "owner": _OWNER,
                "industry": "industry",
                "employees": "employees",
                "annual_revenue": "annual_revenue",
                "revenue_band": "revenue_band",
            },
        },
        "reps": {
            "label": "reps",
            "required": False,
            "columns": {
                "rep_id": ["rep_id", "rep", "owner", "id"],
                "name": ["name", "rep_name"],
                "email": "email",
                "zip": ["home_zip", *_ZIP],
                "capacity_hours": "capacity_hours",
                "quota": "quota",
            },
        },
    },
}

#: Preset name -> the mapping it stands for (validated by :func:`terrkit.crm.mapping.preset_mapping`).
PRESETS: dict[str, dict[str, Any]] = {"salesforce": SALESFORCE, "hubspot": HUBSPOT, "generic": GENERIC}
