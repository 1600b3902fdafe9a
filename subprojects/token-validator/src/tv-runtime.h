/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Lambda custom-runtime loop against $AWS_LAMBDA_RUNTIME_API.  Returns
 * the process exit status (it only returns when the Runtime API goes away
 * or init fails). */
int tv_runtime_main (const char *runtime_api);
