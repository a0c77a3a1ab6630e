// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"
TEST(placeholder) { ASSERT_EQ(0, 0); }
TEST_HARNESS_MAIN
