"""CRM exports in, CRM load files out.

``terrkit import`` turns Salesforce, HubSpot or generic order exports into a terrkit data
folder; each report run writes load files for Salesforce Enterprise Territory Management,
HubSpot and a generic CRM into its ``crm/`` folder.
"""
