from ikaros.competing_risks.cuminc import CumincCurve, CumincResult, cuminc
from ikaros.competing_risks.gray import gray_test
