#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cfn-lint.sh TEMPLATE...
#
# Validates the CloudFormation templates against AWS's resource schemas
# with cfn-lint when it is installed (exit 77, skipped, otherwise).  The
# offline structural checks of test_templates.py run either way.
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "SKIP: cfn-lint is not installed"
  exit 77
fi
exec cfn-lint "$@"
