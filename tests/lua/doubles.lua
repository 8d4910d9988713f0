-- Formats doubles (string.format %.17g, %a, %g, %e, tostring) and calls
-- libm through math.* (sin, cos, tan, exp, log, fmod, floor, sqrt, pow,
-- atan, asin), the floor division and modulo of floats, and string to
-- number conversions. tests/lua_static.rs runs it under Bohr and QEMU.
local vals = {0.1, 1/3, 2/3, 1e300, 1e-300, 5e-324, 2^53, -0.0, 1/0, -1/0, math.pi, 123456.789, 2.675, 1e21, 1e-7}
for _, v in ipairs(vals) do
  print(string.format("%.17g %a %g %.3f %e", v, v, v, v, v), tostring(v))
end
for _, x in ipairs({0.5, 1, 2, 3.7, 10, 100.25, -2.5, 1e-5}) do
  print(string.format("%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g",
    math.sin(x), math.cos(x), math.tan(x), math.exp(x), math.log(math.abs(x)),
    math.fmod(x, 0.7), math.floor(x), math.sqrt(math.abs(x)), math.abs(x) ^ 1.5))
end
print(math.tointeger(2^31), 7 // 2, 7.5 // 2, 7 % -3, -7.5 % 2, math.ult(1, -1))
print(string.format("%5.2f|%-10.3e|%+g|%10.4g", 3.14159, 0.000123, 42, 1/7))
print(tonumber("0x1p-2"), tonumber("  1e10 "), tonumber("1e400"), 0/0 ~= 0/0, tostring(0/0))
print(math.log(8, 2), math.log(100, 10), math.atan(1, 2), math.asin(0.5), math.max(1.5, -2), math.min(3, 2.5))
local s = 0 for i = 1, 100000 do s = s + 1 / i end print(string.format("%.17g", s))
print(string.format("%.14g", 2^63), math.maxinteger + 0.0, math.mininteger, 3 / 2, 3 // 0.0, -3 % math.huge)
