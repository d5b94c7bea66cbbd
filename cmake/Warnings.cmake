# SPDX-License-Identifier: Apache-2.0
# Warnings for our own targets: hemera_warnings(target)
function(hemera_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wcast-align -Wformat=2)
endfunction()
